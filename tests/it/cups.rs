//! Printing on a real print system: CUPS with Debian's PDF printer (cups-pdf), through the app's
//! own print path (`prescribe --print`, which runs `lp -o media=A5 -o scaling=100`). The printed
//! file is checked as a pharmacy would hold it: A5 pages, and every 2D symbol read back by zbar
//! (an independent reader that joins a structured-append set only when it is complete) from a
//! 300 dpi raster, at the cell pitch designed.
//!
//! Ignored in a plain `cargo test` (it needs root and Debian packages); `.ci/run` installs
//! `cups printer-driver-cups-pdf poppler-utils zbar-tools` and runs it. When CUPS cannot be
//! started it fails, naming what is missing: it never passes without printing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::qr_read::{page_symbols, read_all};
use crate::common::{cli, intake_json, CLINIC_CONFIG};

const PRINTER: &str = "onshi-test-pdf";
const PPD: &str = "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd";

fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("CUPS test: cannot run {program}: {e} (install cups, printer-driver-cups-pdf, poppler-utils and zbar-tools, as .ci/run does)"))
}

fn scheduler_running() -> bool {
    Command::new("lpstat")
        .arg("-r")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("is running"))
}

/// Starts cupsd when it is not running, and makes the PDF printer; panics when it cannot.
fn start_cups() {
    assert!(
        Path::new(PPD).is_file(),
        "CUPS test: {PPD} is missing (apt-get install printer-driver-cups-pdf)"
    );
    if !scheduler_running() {
        let o = run("cupsd", &[]);
        assert!(o.status.success(), "CUPS test: cupsd did not start: {o:?}");
        let t0 = Instant::now();
        while !scheduler_running() {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "CUPS test: the scheduler is not running 30 s after cupsd started"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let o = run(
        "lpadmin",
        &["-p", PRINTER, "-E", "-v", "cups-pdf:/", "-P", PPD],
    );
    assert!(o.status.success(), "CUPS test: lpadmin failed: {o:?}");
}

/// Where cups-pdf writes a job printed by this user (`Out ${HOME}/PDF`, or the anonymous
/// folder), found by the job's unique title.
fn wait_for_output(title: &str) -> PathBuf {
    // cups-pdf writes to the home in the password file, which a CI's $HOME may not be.
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let dirs = [
        PathBuf::from(home).join("PDF"),
        PathBuf::from("/root/PDF"),
        PathBuf::from("/var/spool/cups-pdf/ANONYMOUS"),
    ];
    let t0 = Instant::now();
    loop {
        for dir in &dirs {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().to_string();
                    // Written in place by Ghostscript: wait until its end marker is there.
                    if name.contains(title)
                        && std::fs::read(e.path())
                            .is_ok_and(|b| b.windows(5).rev().take(64).any(|w| w == b"%%EOF"))
                    {
                        return e.path();
                    }
                }
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "CUPS test: no output from cups-pdf for job {title} in {dirs:?} after 90 s (see /var/log/cups/)"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// A P5 (binary greyscale) image: width, height, pixels.
fn read_pgm(path: &Path) -> (usize, usize, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).to_string());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, bytes[i + 1..i + 1 + w * h].to_vec())
}

/// The cell pitch of the first symbol on a 300 dpi page, mm: the width of the top-left finder
/// pattern (7 modules) on the first dark row below the symbols' top edge.
fn first_symbol_pitch(w: usize, h: usize, px: &[u8], top_mm: f32, left_mm: f32) -> f32 {
    let dpmm = 300.0 / 25.4;
    let (x0, y0) = ((left_mm * dpmm) as usize, (top_mm * dpmm) as usize);
    let x1 = (x0 + (26.0 * dpmm) as usize).min(w);
    for y in y0..h {
        let row = &px[y * w..(y + 1) * w];
        if let Some(start) = (x0..x1).find(|&x| row[x] < 128) {
            let end = (start..x1).find(|&x| row[x] >= 128).unwrap_or(x1);
            return (end - start) as f32 / 7.0 / dpmm;
        }
    }
    panic!("no symbol found on the page");
}

#[test]
#[ignore = "needs CUPS and cups-pdf (root); .ci/run installs them and runs it"]
fn a_prescription_printed_through_cups_is_a5_and_every_symbol_reads() {
    start_cups();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    let title = format!("onshi-cups-{}", std::process::id());
    std::fs::write(
        db.with_extension("toml"),
        format!("{CLINIC_CONFIG}\n[printer]\ncommand = \"lp -d {PRINTER} -t {title}\"\n"),
    )
    .unwrap();
    assert!(cli(&db, &["intake", "--json", "-"], Some(&intake_json(1)))
        .status
        .success());
    // Nine RPs: two sheets and a linked set of symbols over both.
    let rps: Vec<String> = (1..=9)
        .map(|i| format!(
            r#"{{"form": "internal", "usage": "1日3回毎食後", "days": 14, "drugs": [
                {{"name": "薬品{i}甲錠10mg", "amount": "3", "unit": "錠", "no_substitution": false, "patient_request": false}},
                {{"name": "薬品{i}乙錠20mg", "amount": "3", "unit": "錠", "no_substitution": false, "patient_request": false}}]}}"#
        ))
        .collect();
    let json = format!(
        r#"{{"visit_id": "V1", "doctor": "工業会 次郎", "issued_on": "2026-11-25", "rps": [{}],
            "refill_count": null, "remarks": ""}}"#,
        rps.join(",")
    );
    let o = cli(&db, &["prescribe", "--json", "-", "--print"], Some(&json));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let receipt: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(receipt["printed"], true);
    let pages = receipt["pages"].as_u64().unwrap() as usize;
    assert!(pages >= 2 && receipt["symbols"].as_u64().unwrap() >= 2);
    let archived = std::fs::read(receipt["archived"].as_str().unwrap()).unwrap();

    let printed = wait_for_output(&title);
    // A5 on every page, as many pages as issued.
    let doc = lopdf::Document::load(&printed).unwrap();
    assert_eq!(doc.get_pages().len(), pages);
    for (_, id) in doc.get_pages() {
        let page = doc.get_dictionary(id).unwrap();
        let mbox: Vec<f32> = page
            .get(b"MediaBox")
            .or_else(|_| {
                doc.get_dictionary(page.get(b"Parent").unwrap().as_reference().unwrap())
                    .unwrap()
                    .get(b"MediaBox")
            })
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_float().unwrap())
            .collect();
        let (w, h) = (mbox[2] - mbox[0], mbox[3] - mbox[1]);
        assert!(
            (w - 419.5).abs() < 2.0 && (h - 595.3).abs() < 2.0,
            "A5 is 419.5 × 595.3 pt, printed {w} × {h}"
        );
    }

    // Every sheet at 300 dpi, stacked into one image, read by zbar: a structured-append set is
    // joined only when all its symbols are read, so one output equal to the whole payload
    // means every symbol decoded.
    let raster = dir.path().join("page");
    let o = run(
        "pdftoppm",
        &[
            "-r",
            "300",
            "-gray",
            printed.to_str().unwrap(),
            raster.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let mut sheets: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    sheets.sort();
    assert_eq!(sheets.len(), pages);
    let images: Vec<_> = sheets.iter().map(|p| read_pgm(p)).collect();
    let (w, _, _) = images[0];
    let mut stacked = Vec::new();
    for (iw, _, px) in &images {
        assert_eq!(*iw, w);
        stacked.extend_from_slice(px);
    }
    let all = dir.path().join("all.pgm");
    let mut pgm = format!("P5\n{w} {}\n255\n", stacked.len() / w).into_bytes();
    pgm.extend(&stacked);
    std::fs::write(&all, pgm).unwrap();
    let o = run("zbarimg", &["-q", "--raw", all.to_str().unwrap()]);
    assert!(o.status.success(), "zbar read nothing: {o:?}");
    let zbar = String::from_utf8(o.stdout).unwrap();
    let payload = read_all(&page_symbols(&archived).concat());
    let (want, _, _) = encoding_rs::SHIFT_JIS.decode(&payload);
    // zbar's Shift_JIS table reads 0x817C as U+2212, WHATWG's as U+FF0D.
    let normalise = |s: &str| s.replace('\u{2212}', "\u{FF0D}").replace("\r\n", "\n");
    assert_eq!(normalise(zbar.trim_end()), normalise(want.trim_end()));

    // The cell pitch on paper is the one designed (24 mm over the modules and quiet zone).
    let first = &page_symbols(&archived)[0][0];
    let designed = 24.0 / (first.len() + 8) as f32;
    let (w, h, px) = &images[0];
    let pitch = first_symbol_pitch(*w, *h, px, 181.0, 6.0);
    eprintln!("printed cell pitch {pitch:.3} mm (designed {designed:.3} mm)");
    assert!(
        (pitch - designed).abs() / designed < 0.05 && pitch >= 0.33,
        "printed pitch {pitch:.3} mm, designed {designed:.3} mm"
    );
}
