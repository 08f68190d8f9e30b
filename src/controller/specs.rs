//! Environment specs by commit: each is loaded (git read + validation, on
//! the blocking pool) once per commit and shared until the next one.

use crate::source::{RepoLocation, Snapshot};
use crate::spec::{self, Environment};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The last loaded spec of each environment, with its commit.
pub struct SpecCache {
    location: RepoLocation,
    specs: Mutex<HashMap<String, (String, Arc<Environment>)>>,
}

impl SpecCache {
    /// Specs read from `location`.
    pub fn new(location: RepoLocation) -> Self {
        SpecCache {
            location,
            specs: Mutex::default(),
        }
    }

    /// Where the specs are read from.
    pub fn location(&self) -> &RepoLocation {
        &self.location
    }

    /// The spec of `environment` at `commit` (a plain directory, with no
    /// commit, is read every time). The error is the spec's diagnostics.
    pub async fn get(
        &self,
        environment: &str,
        commit: Option<&str>,
    ) -> Result<Arc<Environment>, String> {
        if let Some(commit) = commit
            && let Some((cached, env)) = self.specs.lock().expect("spec cache").get(environment)
            && cached == commit
        {
            return Ok(env.clone());
        }
        let location = self.location.clone();
        let name = environment.to_owned();
        let at = commit.map(str::to_owned);
        let loaded = tokio::task::spawn_blocking(move || {
            let snapshot =
                Snapshot::open_at(&location, at.as_deref()).map_err(|e| e.to_string())?;
            spec::load(&snapshot, &name).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("loading the spec panicked: {e}"))??;
        let env = Arc::new(loaded);
        if let Some(commit) = commit {
            self.specs
                .lock()
                .expect("spec cache")
                .insert(environment.to_owned(), (commit.to_owned(), env.clone()));
        }
        Ok(env)
    }
}
