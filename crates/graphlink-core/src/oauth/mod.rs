//! OAuth 2.0 and OpenID Connect pieces: the token endpoint client, the
//! identity platform's error bodies and ID token claims.

pub mod challenge;
pub mod device;
mod error;
mod id_token;
mod token;

pub use error::{EntraError, TokenError};
pub use id_token::{IdClaims, IdTokenError};
pub use token::{TokenClient, TokenResponse};
