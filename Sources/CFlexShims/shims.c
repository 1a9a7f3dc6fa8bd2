#if defined(__linux__)
#define _GNU_SOURCE
#include <sched.h>
#include <pthread.h>
#include <link.h>
#include <elf.h>
#endif
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include "CFlexShims.h"

#if defined(__linux__)

int flexeg_affinity_cpus(int *cpus, int capacity) {
    /* Grow the set until it covers the kernel's mask size (EINVAL means the set is too small). */
    for (int setSize = 1024; setSize <= (1 << 20); setSize *= 2) {
        cpu_set_t *set = CPU_ALLOC(setSize);
        if (set == NULL) return -1;
        size_t bytes = CPU_ALLOC_SIZE(setSize);
        CPU_ZERO_S(bytes, set);
        if (sched_getaffinity(0, bytes, set) != 0) {
            CPU_FREE(set);
            if (errno == EINVAL) continue;
            return -1;
        }
        int count = 0;
        for (int cpu = 0; cpu < setSize; cpu++) {
            if (!CPU_ISSET_S(cpu, bytes, set)) continue;
            if (count < capacity) cpus[count] = cpu;
            count++;
        }
        CPU_FREE(set);
        return count;
    }
    return -1;
}

int flexeg_pin_current_thread(int cpu) {
    if (cpu < 0) return EINVAL;
    int setSize = cpu + 1 > 1024 ? cpu + 1 : 1024;
    cpu_set_t *set = CPU_ALLOC(setSize);
    if (set == NULL) return ENOMEM;
    size_t bytes = CPU_ALLOC_SIZE(setSize);
    CPU_ZERO_S(bytes, set);
    CPU_SET_S(cpu, bytes, set);
    int result = pthread_setaffinity_np(pthread_self(), bytes, set);
    CPU_FREE(set);
    return result;
}

int flexeg_current_cpu(void) { return sched_getcpu(); }

int flexeg_name_current_thread(const char *name) { return pthread_setname_np(pthread_self(), name); }

#else

int flexeg_affinity_cpus(int *cpus, int capacity) {
    (void)cpus;
    (void)capacity;
    return -1;
}

int flexeg_pin_current_thread(int cpu) {
    (void)cpu;
    return ENOSYS;
}

int flexeg_current_cpu(void) { return -1; }

#if defined(__APPLE__)
#include <pthread.h>
int flexeg_name_current_thread(const char *name) { return pthread_setname_np(name); }
#else
int flexeg_name_current_thread(const char *name) {
    (void)name;
    return ENOSYS;
}
#endif

#endif

int flexeg_online_cpu_count(void) {
    long count = sysconf(_SC_NPROCESSORS_ONLN);
    return count > 0 ? (int)count : 1;
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FLEXEG_TSAN 1
#endif
#endif
#if !defined(FLEXEG_TSAN) && defined(__SANITIZE_THREAD__)
#define FLEXEG_TSAN 1
#endif

#if defined(FLEXEG_TSAN)
void __tsan_acquire(void *address);
void __tsan_release(void *address);
void flexeg_tsan_acquire(const void *address) { __tsan_acquire((void *)address); }
void flexeg_tsan_release(const void *address) { __tsan_release((void *)address); }
#else
void flexeg_tsan_acquire(const void *address) { (void)address; }
void flexeg_tsan_release(const void *address) { (void)address; }
#endif

#if defined(__linux__)
struct build_id_search { unsigned char *out; int capacity; int length; };

/// `dl_iterate_phdr` visits the main program first: read its PT_NOTE segments, then stop.
static int read_main_program_build_id(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct build_id_search *search = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_NOTE) continue;
        size_t align = segment->p_align == 8 ? 8 : 4;  // notes pad names and descriptors to this
        const unsigned char *note = (const unsigned char *)(info->dlpi_addr + segment->p_vaddr);
        const unsigned char *end = note + segment->p_memsz;
        while ((size_t)(end - note) >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *header = (const ElfW(Nhdr) *)note;
            const unsigned char *name = note + sizeof(ElfW(Nhdr));
            const unsigned char *desc = name + ((header->n_namesz + align - 1) & ~(align - 1));
            const unsigned char *next = desc + ((header->n_descsz + align - 1) & ~(align - 1));
            if (next > end || next <= note) break;
            if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                int length = (int)header->n_descsz < search->capacity ? (int)header->n_descsz : search->capacity;
                memcpy(search->out, desc, (size_t)length);
                search->length = length;
                return 1;
            }
            note = next;
        }
    }
    return 1;
}

int flexeg_executable_build_id(unsigned char *out, int capacity) {
    struct build_id_search search = { out, capacity, 0 };
    dl_iterate_phdr(read_main_program_build_id, &search);
    return search.length;
}
#else
int flexeg_executable_build_id(unsigned char *out, int capacity) { (void)out; (void)capacity; return 0; }
#endif
