//! Starting a helper thread where it can run at once.
//!
//! Linux puts a new thread on the CPU of the thread that starts it. In a
//! fresh process an idle CPU took it over only at the next scheduler tick
//! (1-4 ms), so a helper started to share a few milliseconds of work
//! shared its parent's CPU instead. Measured on the 2-vCPU VM of issue
//! #19 (CPUs read from `/proc/thread-self/stat`): after 20 ms of quiet, a
//! helper began 1.3-2.2 ms late, on its parent's CPU, in every run, and
//! two threads of 1.35 ms of work each took 3.65 ms; with the starting
//! thread stepping onto the other CPU, the helper began after 0.14-0.24
//! ms and the pair took 2.2 ms. Waiting for the helper to start did not
//! help: both stayed on one CPU. In a process that keeps both CPUs busy
//! (a loop of 1 MB checks) the other CPU takes the new thread within
//! microseconds, and stepping aside every time cost 13% of the loop's
//! throughput: so the caller steps aside only when the thread has not
//! started within [`START_WAIT`].

/// How long [`spawn_beside`] waits for the new thread to start before it
/// moves the caller: a thread another CPU takes starts in 15-90 µs on the
/// VM of issue #19 (the module docs), one queued behind its parent in
/// milliseconds.
pub const START_WAIT: std::time::Duration = std::time::Duration::from_micros(150);

/// Starts `work` on a new thread of `scope`; if it has not started within
/// [`START_WAIT`], moves the calling thread to another CPU it may run on,
/// so that the new one has this CPU to itself at once (see the module
/// docs). The calling thread keeps every CPU it was allowed: only where it
/// runs now changes. An error is the system refusing the thread.
pub fn spawn_beside<'scope, T, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: F,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    use std::sync::atomic::{AtomicBool, Ordering};
    let started = std::sync::Arc::new(AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&started);
    let thread = std::thread::Builder::new().spawn_scoped(scope, move || {
        flag.store(true, Ordering::Release);
        drop(flag);
        work()
    })?;
    let since = std::time::Instant::now();
    while !started.load(Ordering::Acquire) {
        if since.elapsed() >= START_WAIT {
            step_aside();
            break;
        }
        std::hint::spin_loop();
    }
    Ok(thread)
}

/// Moves the calling thread to another CPU of its affinity mask, if it has
/// one, and restores the mask; does nothing if any step fails.
#[cfg(target_os = "linux")]
fn step_aside() {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `cpu_set_t` is a plain bit array, valid all zeros; every
    // pointer passed is to a live local of the size given; pid 0 is the
    // calling thread.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return;
        }
        let Ok(here) = usize::try_from(libc::sched_getcpu()) else {
            return;
        };
        let cpus = usize::try_from(libc::CPU_SETSIZE).unwrap_or(0);
        let Some(other) = (0..cpus).find(|&c| c != here && libc::CPU_ISSET(c, &allowed)) else {
            return;
        };
        let mut there: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(other, &mut there);
        if libc::sched_setaffinity(0, size, &there) == 0 {
            libc::sched_setaffinity(0, size, &allowed);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn step_aside() {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// The CPUs the calling thread may run on.
    #[cfg(target_os = "linux")]
    fn allowed_cpus() -> Vec<usize> {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in `step_aside`.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(libc::sched_getaffinity(0, size, &mut set), 0);
            (0..1024).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn allowed_cpus() -> Vec<usize> {
        Vec::new()
    }

    #[test]
    fn the_helper_runs_and_the_caller_keeps_its_cpus() {
        let before = allowed_cpus();
        let answer = std::thread::scope(|scope| {
            let helper = spawn_beside(scope, || 6 * 7).unwrap();
            helper.join().unwrap()
        });
        assert_eq!(answer, 42);
        assert_eq!(allowed_cpus(), before);
        // The step itself, which a helper that starts at once skips: the
        // mask it narrows to move is restored.
        step_aside();
        assert_eq!(allowed_cpus(), before);
    }
}
