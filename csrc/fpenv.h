/* Flush-to-zero / denormals-are-zero for the calling thread: x86 MXCSR bits FTZ
   (15) and DAZ (6), AArch64 FPCR bit FZ (24). Elsewhere the calls do nothing and
   fpenv_supported() is 0. */
#ifndef FASTNN_FPENV_H
#define FASTNN_FPENV_H

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <xmmintrin.h>
#define FPENV_FLUSH_BITS 0x8040u
static unsigned int fpenv_get(void) { return _mm_getcsr(); }
static void fpenv_set(unsigned int v) { _mm_setcsr(v); }
static int fpenv_supported(void) { return 1; }
#elif defined(__aarch64__)
#define FPENV_FLUSH_BITS (1u << 24)
static unsigned int fpenv_get(void) {
    unsigned long v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return (unsigned int)v;
}
static void fpenv_set(unsigned int v) {
    unsigned long w = v;
    __asm__ __volatile__("msr fpcr, %0" : : "r"(w));
}
static int fpenv_supported(void) { return 1; }
#else
#define FPENV_FLUSH_BITS 0u
static unsigned int fpenv_get(void) { return 0u; }
static void fpenv_set(unsigned int v) { (void)v; }
static int fpenv_supported(void) { return 0; }
#endif

#endif
