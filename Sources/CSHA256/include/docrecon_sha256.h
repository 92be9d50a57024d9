#ifndef DOCRECON_SHA256_H
#define DOCRECON_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256's compression function (FIPS 180-4) over whole 64-byte blocks; padding and the
 * digest's byte order stay in Swift (Support/SHA256.swift). `state` is the eight working words
 * a..h in host order.
 *
 * On x86-64 processors with the SHA extensions (Intel since Goldmont/Ice Lake, every AMD Zen) the
 * blocks go through SHA256RNDS2/SHA256MSG1/SHA256MSG2: ~6x faster than the portable code, which
 * serves every other processor. The choice is made once, from CPUID. Encounter keys (one short
 * message per charge) and file hashes (every import, every original) both come here.
 */
void docrecon_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/* The two implementations on their own, for tests that compare them. The SHA-extension one
   returns 0 (and does nothing) where the processor has no SHA extensions; 1 when it ran. */
void docrecon_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);
int docrecon_sha256_blocks_sha_ni(uint32_t state[8], const uint8_t *data, size_t blocks);

/* 1 when docrecon_sha256_blocks uses the SHA extensions on this processor. */
int docrecon_sha256_has_sha_ni(void);

#endif
