//! Printing the paper prescription: the JAHIS payload, its QR symbols, the declarative A5
//! template and the PDF renderer.
//!
//! Rendering is pure (values in, PDF bytes out); storing, numbering and sending to the printer
//! belong to the service layer.

pub mod jahis;
pub mod qr;
pub mod sjis;
pub mod fonts;
pub mod pdf;
pub mod template;

pub use jahis::RxDocument;
pub use pdf::{Rendered, Renderer};
