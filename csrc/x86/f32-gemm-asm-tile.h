/* Control flow of the SGEMM tile kernels' inline assembly, shared by the AVX2 (6x16) and AVX-512
 * (12x32) kernels, which fill in their registers and strides: zero the accumulators (ZERO); the
 * k loop unrolled by 4 (PREFETCH, then STEP4, advancing A by A4 and B by B4 bytes) and its tail
 * one step at a time (STEP1, A1, B1); then by %[mode]: 2 adds the C rows (ADD_C), 1 and 2 add the
 * bias when %[bias] is not NULL (LOAD_BIAS, ADD_BIAS) and store the rows (STORE), 0 spills the
 * accumulators to %[acc] (SPILL) for the C epilogue. Operands the caller binds: %[a], %[b], %[k4],
 * %[k1] (in/out), %[mode], %[bias], %[acc] and what its fragments use. A4, B4, A1, B1 are literal
 * byte counts. Local labels 1-9 are used. Included by csrc/x86/<isa>/ files only. */
#ifndef CK_X86_F32_GEMM_ASM_TILE_H
#define CK_X86_F32_GEMM_ASM_TILE_H

#define CK_GEMM_ASM_TILE(ZERO, PREFETCH, STEP4, A4, B4, STEP1, A1, B1, ADD_C, LOAD_BIAS, ADD_BIAS, STORE, SPILL) \
    ZERO "test %[k4], %[k4]\n\t"                                                                             \
         "jz 2f\n\t"                                                                                         \
         ".p2align 5\n"                                                                                      \
         "1:\n\t" PREFETCH STEP4 "add $" #A4 ", %[a]\n\t"                                                    \
         "add $" #B4 ", %[b]\n\t"                                                                            \
         "dec %[k4]\n\t"                                                                                     \
         "jnz 1b\n"                                                                                          \
         "2:\n\t"                                                                                            \
         "test %[k1], %[k1]\n\t"                                                                             \
         "jz 4f\n"                                                                                           \
         "3:\n\t" STEP1 "add $" #A1 ", %[a]\n\t"                                                             \
         "add $" #B1 ", %[b]\n\t"                                                                            \
         "dec %[k1]\n\t"                                                                                     \
         "jnz 3b\n"                                                                                          \
         "4:\n\t"                                                                                            \
         "test %[mode], %[mode]\n\t"                                                                         \
         "jz 8f\n\t"                                                                                         \
         "cmp $2, %[mode]\n\t"                                                                               \
         "jne 5f\n\t" ADD_C "5:\n\t"                                                                         \
         "test %[bias], %[bias]\n\t"                                                                         \
         "jz 6f\n\t" LOAD_BIAS ADD_BIAS "6:\n\t" STORE "jmp 9f\n"                                            \
         "8:\n\t" SPILL "9:"

#endif
