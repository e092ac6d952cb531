//! Reading a generated PDF back as a PDF viewer would: the text of each page through each font's
//! ToUnicode map.

use lopdf::content::Content;
use lopdf::{Document, Object};

/// The text shown on each page, decoded through each font's ToUnicode map (what a PDF viewer's
/// copy and paste gives).
pub fn page_texts(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).unwrap();
    let mut out = Vec::new();
    for (_, page_id) in doc.get_pages() {
        let fonts = doc.get_page_fonts(page_id).unwrap();
        let maps: std::collections::HashMap<Vec<u8>, std::collections::HashMap<u16, String>> =
            fonts
                .iter()
                .map(|(name, font)| (name.clone(), to_unicode_map(&doc, font)))
                .collect();
        let content = page_operations(&doc, page_id);
        let mut current: Option<&std::collections::HashMap<u16, String>> = None;
        let mut text = String::new();
        for op in &content {
            match op.operator.as_str() {
                "Tf" => current = op.operands[0].as_name().ok().and_then(|n| maps.get(n)),
                "Tj" => {
                    if let (Some(map), Ok(bytes)) = (current, op.operands[0].as_str()) {
                        for pair in bytes.chunks(2) {
                            let cid = u16::from_be_bytes([pair[0], pair[1]]);
                            text.push_str(map.get(&cid).map(String::as_str).unwrap_or("?"));
                        }
                    }
                    text.push('\n');
                }
                "TJ" => {
                    if let (Some(map), Ok(items)) = (current, op.operands[0].as_array()) {
                        for item in items {
                            if let Ok(bytes) = item.as_str() {
                                for pair in bytes.chunks(2) {
                                    let cid = u16::from_be_bytes([pair[0], pair[1]]);
                                    text.push_str(map.get(&cid).map(String::as_str).unwrap_or("?"));
                                }
                            }
                        }
                    }
                    text.push('\n');
                }
                _ => {}
            }
        }
        out.push(text);
    }
    out
}

/// A page's XObject named `name`.
pub fn xobject<'a>(
    doc: &'a Document,
    page: lopdf::ObjectId,
    name: &[u8],
) -> Option<&'a lopdf::Stream> {
    let deref = |o: &'a Object| match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    };
    let page = doc.get_dictionary(page).ok()?;
    let resources = deref(page.get(b"Resources").ok()?)?.as_dict().ok()?;
    let xobjects = deref(resources.get(b"XObject").ok()?)?.as_dict().ok()?;
    deref(xobjects.get(name).ok()?)?.as_stream().ok()
}

/// The operations of a page, with those of each form XObject it shows (the form every sheet
/// shares) in place of its `Do`, as a viewer draws them.
pub fn page_operations(doc: &Document, page: lopdf::ObjectId) -> Vec<lopdf::content::Operation> {
    let content = Content::decode(&doc.get_page_content(page)).unwrap();
    let mut out = Vec::new();
    for op in content.operations {
        if op.operator == "Do" {
            let name = op.operands[0].as_name().unwrap();
            let form = xobject(doc, page, name).filter(|s| {
                s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form".as_slice())
            });
            if let Some(form) = form {
                let data = form
                    .decompressed_content()
                    .unwrap_or_else(|_| form.content.clone());
                out.extend(Content::decode(&data).unwrap().operations);
                continue;
            }
        }
        out.push(op);
    }
    out
}

fn to_unicode_map(
    doc: &Document,
    font: &lopdf::Dictionary,
) -> std::collections::HashMap<u16, String> {
    let mut map = std::collections::HashMap::new();
    let Ok(Object::Reference(id)) = font.get(b"ToUnicode") else {
        return map;
    };
    let stream = doc.get_object(*id).unwrap().as_stream().unwrap();
    let data = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    let text = String::from_utf8_lossy(&data);
    let hex = |s: &str| u32::from_str_radix(s.trim_matches(|c| c == '<' || c == '>'), 16).unwrap();
    let utf16 = |s: &str| {
        let h = s.trim_matches(|c| c == '<' || c == '>');
        let units: Vec<u16> = (0..h.len())
            .step_by(4)
            .map(|i| u16::from_str_radix(&h[i..i + 4], 16).unwrap())
            .collect();
        String::from_utf16_lossy(&units)
    };
    let mut in_char = false;
    let mut in_range = false;
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [_, "beginbfchar"] => in_char = true,
            ["endbfchar"] => in_char = false,
            [_, "beginbfrange"] => in_range = true,
            ["endbfrange"] => in_range = false,
            [src, dst] if in_char => {
                map.insert(hex(src) as u16, utf16(dst));
            }
            [lo, hi, dst] if in_range => {
                let base = hex(dst);
                for (k, cid) in (hex(lo)..=hex(hi)).enumerate() {
                    map.insert(
                        cid as u16,
                        char::from_u32(base + k as u32)
                            .map(String::from)
                            .unwrap_or_default(),
                    );
                }
            }
            _ => {}
        }
    }
    map
}
