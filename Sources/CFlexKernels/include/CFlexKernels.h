#ifndef CFLEXKERNELS_H
#define CFLEXKERNELS_H
// ISA-specific micro-kernels (AVX2+FMA on x86-64), each a small C function with a per-function target
// attribute, chosen at run time by CPU detection. Everything else (packing, blocking, threading) is Swift.
#endif
