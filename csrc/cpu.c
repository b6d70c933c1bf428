/* CPU feature detection: CPUID for what the core can do, XGETBV for what the OS saves on a
 * context switch (an AVX register file the OS does not save is unusable). Read once, cached. */
#include <pthread.h>
#include <string.h>

#include "convkit/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long ck_xgetbv0(void) {
    unsigned int eax, edx;
    /* xgetbv with ecx = 0, written as bytes so this file needs no -mxsave. */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void ck_read_features(ck_cpu_features *f) {
    unsigned int a, b, c, d;
    memset(f, 0, sizeof(*f));
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    unsigned int max_leaf = a;
    memcpy(f->vendor + 0, &b, 4);
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);
    f->vendor[12] = '\0';

    __get_cpuid(1, &a, &b, &c, &d);
    f->sse2 = (d >> 26) & 1;
    f->sse41 = (c >> 19) & 1;
    f->fma = (c >> 12) & 1;
    f->f16c = (c >> 29) & 1;
    int osxsave = (c >> 27) & 1;
    int avx_bit = (c >> 28) & 1;
    if (osxsave) {
        unsigned long long xcr0 = ck_xgetbv0();
        f->os_avx = (xcr0 & 0x6) == 0x6;            /* XMM and YMM state */
        f->os_avx512 = f->os_avx && (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    }
    f->avx = avx_bit && f->os_avx;
    if (!f->avx) f->fma = f->f16c = 0;
    if (max_leaf >= 7) {
        __get_cpuid_count(7, 0, &a, &b, &c, &d);
        f->avx2 = f->avx && ((b >> 5) & 1);
        f->avx512f = f->os_avx512 && ((b >> 16) & 1);
        f->avx512dq = f->os_avx512 && ((b >> 17) & 1);
        f->avx512bw = f->os_avx512 && ((b >> 30) & 1);
        f->avx512vl = f->os_avx512 && ((b >> 31) & 1);
    }
    __get_cpuid(0x80000000, &a, &b, &c, &d);
    if (a >= 0x80000004) {
        unsigned int regs[12];
        for (unsigned int leaf = 0; leaf < 3; leaf++) {
            __get_cpuid(0x80000002 + leaf, &regs[leaf * 4 + 0], &regs[leaf * 4 + 1],
                        &regs[leaf * 4 + 2], &regs[leaf * 4 + 3]);
        }
        memcpy(f->brand, regs, 48);
        f->brand[48] = '\0';
        /* Trim the leading and trailing spaces some vendors pad with. */
        size_t len = strlen(f->brand), start = 0;
        while (start < len && f->brand[start] == ' ') start++;
        while (len > start && f->brand[len - 1] == ' ') len--;
        memmove(f->brand, f->brand + start, len - start);
        f->brand[len - start] = '\0';
    }
}
#else
static void ck_read_features(ck_cpu_features *f) { memset(f, 0, sizeof(*f)); }
#endif

static ck_cpu_features ck_features;
static pthread_once_t ck_features_once = PTHREAD_ONCE_INIT;
static void ck_features_init(void) { ck_read_features(&ck_features); }

const ck_cpu_features *ck_cpu_get_features(void) {
    pthread_once(&ck_features_once, ck_features_init);
    return &ck_features;
}
