#ifndef DOCRECON_CISAL_SHIM_H
#define DOCRECON_CISAL_SHIM_H
#include <stdint.h>
#include <isa-l/igzip_lib.h>

/* The level buffer ISA-L asks for at each compression level (its macros are arithmetic on other
   macros, which Swift does not import). */
static inline uint32_t docrecon_isal_level_buffer_size(uint32_t level) {
    switch (level) {
    case 0: return 0;
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    default: return ISAL_DEF_LVL3_DEFAULT;
    }
}

/* 1 once a stream given end_of_stream has written all of its output. */
static inline int docrecon_isal_deflate_ended(const struct isal_zstream *s) {
    return s->internal_state.state == ZSTATE_END;
}
#endif
