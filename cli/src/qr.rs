//! Links shown as QR codes in the terminal (Unicode half blocks), for a phone's wallet to scan.

/// Prints `link` as a QR code on standard output; a link too long for a QR code is only noted.
pub(crate) fn print(link: &str) {
    match qrcode::QrCode::new(link.as_bytes()) {
        Ok(code) => {
            let art = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .build();
            println!("{art}");
        }
        Err(e) => eprintln!("note: no QR code: {e}"),
    }
}
