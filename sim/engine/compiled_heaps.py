"""Binary heaps for the compiled engine: rows of four float64 columns, ordered like tuples.

``heapq``'s own push, pop and sift steps on numpy rows, so a heap copied from a reference
queue (a list of tuples, shorter ones padded with 0) pops in the same order and keeps the same
layout. Ids and versions are whole numbers well below 2**53, exact as float64.

All of a run's heaps are one array of shape (heaps, capacity, 4) with their sizes alongside: a
numba typed list of arrays cost about a microsecond to pass into each kernel call and another
lookup on each heap access, a tenth of a baseline run phase. A call that may push makes sure
first that every heap has room for as many pushes as the call can make (``room``).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def _less(a0, a1, a2, a3, heap, j):
    """Tuple order: the first unequal column decides."""
    if a0 != heap[j, 0]:
        return a0 < heap[j, 0]
    if a1 != heap[j, 1]:
        return a1 < heap[j, 1]
    if a2 != heap[j, 2]:
        return a2 < heap[j, 2]
    return a3 < heap[j, 3]


@njit(cache=True)
def _siftdown(heap, startpos, pos):
    """heapq._siftdown."""
    n0, n1, n2, n3 = heap[pos, 0], heap[pos, 1], heap[pos, 2], heap[pos, 3]
    while pos > startpos:
        parentpos = (pos - 1) >> 1
        if _less(n0, n1, n2, n3, heap, parentpos):
            heap[pos, :] = heap[parentpos, :]
            pos = parentpos
            continue
        break
    heap[pos, 0], heap[pos, 1], heap[pos, 2], heap[pos, 3] = n0, n1, n2, n3


@njit(cache=True)
def _siftup(heap, pos, endpos):
    """heapq._siftup."""
    startpos = pos
    n0, n1, n2, n3 = heap[pos, 0], heap[pos, 1], heap[pos, 2], heap[pos, 3]
    childpos = 2 * pos + 1
    while childpos < endpos:
        rightpos = childpos + 1
        if rightpos < endpos and not _less(
            heap[childpos, 0], heap[childpos, 1], heap[childpos, 2], heap[childpos, 3], heap, rightpos
        ):
            childpos = rightpos
        heap[pos, :] = heap[childpos, :]
        pos = childpos
        childpos = 2 * pos + 1
    heap[pos, 0], heap[pos, 1], heap[pos, 2], heap[pos, 3] = n0, n1, n2, n3
    _siftdown(heap, startpos, pos)


@njit(cache=True)
def push(heaps, sizes, h, a0, a1, a2, a3):
    """heapq.heappush onto heap ``h`` (the rows ``heaps[h, :sizes[h]]``).

    The caller makes room first (``room``): a kernel cannot hand a bigger array back mid-call.
    """
    heap = heaps[h]
    n = sizes[h]
    if n == heap.shape[0]:
        raise IndexError("a heap is full: the call's bound on pushes is wrong")
    heap[n, 0], heap[n, 1], heap[n, 2], heap[n, 3] = a0, a1, a2, a3
    sizes[h] = n + 1
    _siftdown(heap, 0, n)


@njit(cache=True)
def pop(heaps, sizes, h):
    """heapq.heappop: the smallest row's four columns."""
    heap = heaps[h]
    n = sizes[h] - 1
    sizes[h] = n
    l0, l1, l2, l3 = heap[n, 0], heap[n, 1], heap[n, 2], heap[n, 3]
    if n == 0:
        return l0, l1, l2, l3
    r0, r1, r2, r3 = heap[0, 0], heap[0, 1], heap[0, 2], heap[0, 3]
    heap[0, 0], heap[0, 1], heap[0, 2], heap[0, 3] = l0, l1, l2, l3
    _siftup(heap, 0, n)
    return r0, r1, r2, r3


@njit(cache=True)
def room(sizes, capacity, pushes):
    """0 when every heap can take ``pushes`` more rows, else the capacity that would do."""
    most = 0
    for n in sizes:
        if n > most:
            most = n
    return 0 if most + pushes <= capacity else most + pushes
