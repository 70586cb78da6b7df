//! Errors go to a log file in the state directory, never to the screen
//! (which belongs to the interface).

use std::io::Write;

pub fn error(message: &str) {
    let Some(dir) = crate::paths::state_dir() else {
        return;
    };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("protoscribe.log"))
    {
        let _ = writeln!(file, "{} {message}", crate::store::time::now());
    }
}
