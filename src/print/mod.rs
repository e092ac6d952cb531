//! Printing the paper prescription (処方箋 様式第二号, A5) while 電子処方箋 is down: the JAHIS
//! payload, its QR symbols, the declarative template and the PDF renderer.
//!
//! Rendering is pure (values in, PDF bytes out); storing, numbering and sending to the printer
//! belong to the service layer.
//!
//! ```text
//! PrescriptionInput (JSON) --validate--> Prescription ─┐
//! Clinic (config), PatientDetails, Insurance ──────────┴─> RxDocument
//! RxDocument --jahis::records--> Vec<Record> --qr::symbols_for--> Vec<QrSymbol>
//! Template (TOML) + Fonts --Renderer::render(RxDocument)--> Rendered { pdf, pages, symbols, gaiji }
//! ```
//!
//! - [`sjis`]: what may go into the symbol (JIS X 0201/0208) and the ■ replacement.
//! - [`jahis`]: the `JAHIS10` records, field by field as in the spec.
//! - [`qr`]: QR Model 2 at M (or L), fixed side, split between RPs into structured-append
//!   symbols when too big.
//! - [`template`]: the TOML page description and its checks.
//! - [`fonts`]: the bundled IPAex fonts, widths, and which characters a font cannot print.
//! - [`pdf`]: slots filled, 処方 lines paginated onto 続紙, symbols placed, PDF saved.

pub mod fonts;
pub mod jahis;
pub mod page;
pub mod pdf;
pub mod qr;
pub mod sheet;
pub mod sjis;
mod subset;
pub mod template;
pub mod unhint;

pub use jahis::{RxDocument, SheetMarks};
pub use pdf::{rx_lines, Rendered, Renderer};
pub use template::Template;
