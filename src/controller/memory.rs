//! Memory hygiene of the long-running controller on glibc: few malloc
//! arenas (one per thread by default, each keeping its own free pages), and
//! the free pages of the heap handed back to the kernel after every cycle.
//! Without them an idle controller holds on to the peak of its busiest
//! cycle. Elsewhere (musl, macOS) both are no-ops.

/// Malloc arenas: the runtime has two workers and a small blocking pool.
#[cfg(target_env = "gnu")]
const ARENAS: libc::c_int = 2;

/// Limit glibc's malloc arenas; call once, before the runtime starts threads.
/// An operator's own `MALLOC_ARENA_MAX` (or `GLIBC_TUNABLES`) wins.
pub fn limit_arenas() {
    #[cfg(target_env = "gnu")]
    if !operator_set_arenas(
        std::env::var_os("MALLOC_ARENA_MAX").is_some(),
        std::env::var("GLIBC_TUNABLES").ok().as_deref(),
    ) {
        // SAFETY: mallopt only sets a malloc parameter; called before other threads exist.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        }
    }
}

/// Return the heap's free pages to the kernel (after a cycle's garbage).
pub fn release_free_pages() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks malloc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Did the operator choose the arenas (`MALLOC_ARENA_MAX` set, or
/// `glibc.malloc.arena_max` in `GLIBC_TUNABLES`)?
#[cfg(any(target_env = "gnu", test))]
fn operator_set_arenas(malloc_arena_max: bool, tunables: Option<&str>) -> bool {
    malloc_arena_max
        || tunables.is_some_and(|t| {
            t.split(':')
                .any(|tunable| tunable.starts_with("glibc.malloc.arena_max="))
        })
}

#[cfg(test)]
mod tests {
    use super::operator_set_arenas;

    #[test]
    fn an_operators_arena_setting_wins() {
        assert!(!operator_set_arenas(false, None));
        assert!(operator_set_arenas(true, None));
        assert!(operator_set_arenas(
            false,
            Some("glibc.malloc.trim_threshold=1:glibc.malloc.arena_max=4")
        ));
        assert!(!operator_set_arenas(
            false,
            Some("glibc.malloc.arena_test=8")
        ));
    }
}
