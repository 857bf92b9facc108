import { defineConfig } from "vite";

// The window loads the built files from Tauri's custom protocol; nothing is
// fetched from a server at run time.
export default defineConfig({
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One small script and one style sheet, no inlined assets: the window's
    // Content Security Policy allows only files of the app itself.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { port: 5173, strictPort: true },
});
