#include "lib/byteq.h"

_Static_assert((BYTEQ_SIZE & (BYTEQ_SIZE - 1)) == 0, "free-running indices wrap cleanly");

bool byteq_push(struct byteq *q, uint8_t b)
{
    if (q->head - q->tail == BYTEQ_SIZE) {
        q->dropped++;
        return false;
    }
    q->buf[q->head % BYTEQ_SIZE] = b;
    q->head++;
    return true;
}

bool byteq_pop(struct byteq *q, uint8_t *b)
{
    if (q->head == q->tail)
        return false;
    *b = q->buf[q->tail % BYTEQ_SIZE];
    q->tail++;
    return true;
}
