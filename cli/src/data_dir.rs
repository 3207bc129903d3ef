//! Where the CLI keeps its files: `PARLEY_HOME` when set (tests, several identities), else the
//! platform's per-user data folder for "parley" (what `directories`' `ProjectDirs` gives;
//! that crate is not used because its dependency `option-ext` is MPL-2.0, outside deny.toml).

use std::path::PathBuf;

pub const HOME_ENV: &str = "PARLEY_HOME";

pub fn data_dir() -> Result<PathBuf, String> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(home) = var(HOME_ENV) {
        return Ok(PathBuf::from(home));
    }
    let missing = || format!("cannot tell where to keep the session: set {HOME_ENV}");
    if cfg!(windows) {
        let app_data = var("APPDATA").ok_or_else(missing)?;
        return Ok(PathBuf::from(app_data).join("parley").join("data"));
    }
    let home = var("HOME").map(PathBuf::from);
    if cfg!(target_os = "macos") {
        let home = home.ok_or_else(missing)?;
        return Ok(home.join("Library/Application Support/parley"));
    }
    // XDG: $XDG_DATA_HOME, else ~/.local/share (an absolute path only, as the spec says).
    let data_home = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.map(|h| h.join(".local/share")))
        .ok_or_else(missing)?;
    Ok(data_home.join("parley"))
}
