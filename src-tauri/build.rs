fn main() {
    // Declaring the commands makes Tauri generate one `allow-…` permission
    // per command; capabilities/default.json grants exactly these.
    let manifest = tauri_build::AppManifest::new().commands(&["snapshot", "connect", "reconnect", "connect_device_code", "cancel_sign_in", "check_now", "it_request", "last_connect_attempt"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}
