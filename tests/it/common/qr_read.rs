//! Reading the printed QR symbols back with two independent readers: rqrr (which knows no
//! structured append, so only lone symbols) and rxing, a port of ZXing, which reports the
//! structured-append sequence and parity the way pharmacy readers use them.

use lopdf::content::Content;
use lopdf::Document;
use rxing::common::HybridBinarizer;
use rxing::qrcode::QRCodeReader;
use rxing::{
    BinaryBitmap, DecodeHints, Luma8LuminanceSource, RXingResultMetadataType,
    RXingResultMetadataValue, Reader,
};

/// One symbol as a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub bytes: Vec<u8>,
    /// (0-based index, total) from the structured-append header.
    pub sequence: Option<(u8, u8)>,
    pub parity: Option<u8>,
}

/// A module matrix as a greyscale image: 4 px per module and a 4-module quiet zone.
fn image(grid: &[Vec<bool>]) -> (Vec<u8>, usize) {
    let (scale, quiet, n) = (4, 4, grid.len());
    let side = (n + 2 * quiet) * scale;
    let mut px = vec![255u8; side * side];
    for (y, row) in grid.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                for dy in 0..scale {
                    let start = ((y + quiet) * scale + dy) * side + (x + quiet) * scale;
                    px[start..start + scale].fill(0);
                }
            }
        }
    }
    (px, side)
}

/// Decodes a lone (not linked) symbol with rqrr.
pub fn rqrr_bytes(grid: &[Vec<bool>]) -> Vec<u8> {
    let (px, side) = image(grid);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| px[y * side + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one symbol found");
    let mut out = Vec::new();
    grids[0].decode_to(&mut out).unwrap();
    out
}

/// Decodes a symbol with rxing, reading its text as Shift_JIS (JAHIS 3.1) and its
/// structured-append header when there is one.
pub fn read(grid: &[Vec<bool>]) -> Read {
    let (px, side) = image(grid);
    let hints = DecodeHints {
        CharacterSet: Some("Shift_JIS".into()),
        PureBarcode: Some(true),
        ..Default::default()
    };
    // ZXing's own QR reader (not rxing's multi-format helper, whose other decoder reports the
    // count where the parity belongs): sequence = index << 4 | (total - 1), then the parity.
    let source = Luma8LuminanceSource::new(px, side as u32, side as u32).unwrap();
    let r = QRCodeReader
        .decode_with_hints(&mut BinaryBitmap::new(HybridBinarizer::new(source)), &hints)
        .expect("rxing reads the symbol");
    let meta = r.getRXingResultMetadata();
    let sequence = match meta.get(&RXingResultMetadataType::STRUCTURED_APPEND_SEQUENCE) {
        Some(RXingResultMetadataValue::StructuredAppendSequence(s)) if *s >= 0 => {
            Some(((*s >> 4) as u8, ((*s & 0x0f) + 1) as u8))
        }
        _ => None,
    };
    let parity = match meta.get(&RXingResultMetadataType::STRUCTURED_APPEND_PARITY) {
        Some(RXingResultMetadataValue::StructuredAppendParity(p)) if *p >= 0 => Some(*p as u8),
        _ => None,
    };
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(r.getText());
    assert!(!unmappable, "the text is Shift_JIS");
    Read {
        bytes: bytes.into_owned(),
        sequence,
        parity,
    }
}

/// Reads every symbol and joins them as a pharmacy reader does: a lone symbol is the whole
/// payload; a linked set must be complete, in order, with one parity that matches the data.
pub fn read_all(grids: &[Vec<Vec<bool>>]) -> Vec<u8> {
    let reads: Vec<Read> = grids.iter().map(|g| read(g)).collect();
    if reads.len() == 1 && reads[0].sequence.is_none() {
        return reads[0].bytes.clone();
    }
    let total = reads.len() as u8;
    let joined: Vec<u8> = reads.iter().flat_map(|r| r.bytes.clone()).collect();
    let parity = joined.iter().fold(0u8, |p, b| p ^ b);
    for (i, r) in reads.iter().enumerate() {
        assert_eq!(r.sequence, Some((i as u8, total)), "symbol {i} of {total}");
        assert_eq!(
            r.parity,
            Some(parity),
            "symbol {i}: parity of the whole payload"
        );
    }
    joined
}

/// The QR symbols drawn on each page, rebuilt from the content stream: after each `cm` that
/// scales to one unit per module, the `re` rectangles are the dark modules.
pub fn page_symbols(pdf: &[u8]) -> Vec<Vec<Vec<Vec<bool>>>> {
    let doc = Document::load_mem(pdf).unwrap();
    let mut pages = Vec::new();
    for (_, page_id) in doc.get_pages() {
        let content = Content::decode(&doc.get_page_content(page_id)).unwrap();
        let mut symbols = Vec::new();
        // A symbol drawn as a 1-bit image mask: one sample per module, 0 is dark.
        let mask = |name: &[u8]| -> Option<Vec<Vec<bool>>> {
            let s = super::pdf_text::xobject(&doc, page_id, name)?;
            if !s
                .dict
                .get(b"ImageMask")
                .and_then(|o| o.as_bool())
                .unwrap_or(false)
            {
                return None;
            }
            let w = s.dict.get(b"Width").unwrap().as_i64().unwrap() as usize;
            let h = s.dict.get(b"Height").unwrap().as_i64().unwrap() as usize;
            assert_eq!(w, h, "a QR symbol is square");
            let bits = s
                .decompressed_content()
                .unwrap_or_else(|_| s.content.clone());
            let row = w.div_ceil(8);
            Some(
                (0..h)
                    .map(|y| {
                        (0..w)
                            .map(|x| bits[y * row + x / 8] & (0x80 >> (x % 8)) == 0)
                            .collect()
                    })
                    .collect(),
            )
        };
        let mut rects: Option<Vec<[usize; 3]>> = None;
        for op in &content.operations {
            let num = |i: usize| op.operands[i].as_float().unwrap();
            match op.operator.as_str() {
                "Do" => symbols.extend(mask(op.operands[0].as_name().unwrap())),
                "cm" if num(3) < 0.0 => rects = Some(Vec::new()),
                "re" => {
                    if let Some(r) = rects.as_mut() {
                        assert_eq!(num(3), 1.0, "one module high");
                        r.push([num(0) as usize, num(1) as usize, num(2) as usize]);
                    }
                }
                "Q" => {
                    if let Some(r) = rects.take() {
                        let width = r.iter().map(|[x, _, w]| x + w).max().unwrap();
                        let mut grid = vec![vec![false; width]; width];
                        for [x, y, w] in r {
                            for cell in &mut grid[y][x..x + w] {
                                *cell = true;
                            }
                        }
                        symbols.push(grid);
                    }
                }
                _ => {}
            }
        }
        pages.push(symbols);
    }
    pages
}
