#ifndef CFLEXSHIMS_H
#define CFLEXSHIMS_H

/// The few host calls Swift cannot import directly: CPU affinity masks and thread pinning go through
/// the `CPU_SET` macros, thread names through a GNU extension, and ThreadSanitizer's annotation hooks
/// exist only in sanitized builds.
/// Every function is safe to call from any thread.

/// Writes the host CPU numbers in this process's affinity mask, ascending, into `cpus` (at most
/// `capacity` of them) and returns how many the mask holds (which may exceed `capacity`).
/// Returns -1 when the OS has no affinity masks (then callers count online CPUs instead).
int flexeg_affinity_cpus(int *cpus, int capacity);

/// Number of online host CPUs (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
int flexeg_online_cpu_count(void);

/// Pins the calling thread to host CPU `cpu`. Returns 0 on success, otherwise an errno value
/// (`ENOSYS` where the OS cannot pin threads).
int flexeg_pin_current_thread(int cpu);

/// The host CPU the calling thread is running on now, or -1 where the OS cannot tell.
int flexeg_current_cpu(void);

/// Names the calling thread in the OS (`ps -L`, `top -H`, `perf`; Linux keeps at most 15 bytes).
/// Returns 0 on success, otherwise an errno value (`ENOSYS` where the OS has no thread names).
int flexeg_name_current_thread(const char *name);

/// Copies the GNU build ID of the running executable (the linker's hash of its code and data,
/// `NT_GNU_BUILD_ID`) into `out`, at most `capacity` bytes, and returns its length; 0 when the
/// executable has none or the OS has no ELF notes. Identifies the build that is running: it changes
/// whenever the linked code does, and only then.
int flexeg_executable_build_id(unsigned char *out, int capacity);

/// ThreadSanitizer happens-before annotations: `release` before giving up a lock whose address is
/// `address`, `acquire` after taking it. No-ops unless this file is built with `-fsanitize=thread`
/// (needed because the toolchain's `Synchronization.Mutex` is not instrumented on Linux).
void flexeg_tsan_acquire(const void *address);
void flexeg_tsan_release(const void *address);

#endif
