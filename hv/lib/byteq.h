/* A small byte ring between an interrupt handler that fills it and the host
 * work that empties it (the i8042's scan codes, hv/arch/x86/i8042.c). One
 * producer, one consumer, one CPU: the handler runs only inside the host's
 * interrupt window, never while the consumer holds an index. Hardware-free. */
#ifndef HV_LIB_BYTEQ_H
#define HV_LIB_BYTEQ_H

#include <stdbool.h>
#include <stdint.h>

#define BYTEQ_SIZE 64u /* a power of two: about 30 keys pressed and released */

struct byteq {
    uint8_t buf[BYTEQ_SIZE];
    uint32_t head, tail; /* free-running: head - tail bytes are queued */
    uint64_t dropped;    /* bytes refused because the ring was full */
};

/* Queues b; false (and counted in dropped) if the ring is full. */
bool byteq_push(struct byteq *q, uint8_t b);
/* The oldest byte in *b; false if the ring is empty. */
bool byteq_pop(struct byteq *q, uint8_t *b);

#endif
