"""`Dataset`: a small input pipeline in the style of tf.data. A Dataset is a recipe that
makes a fresh iterator of elements (pytrees of arrays) each time it is iterated."""
from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator

import numpy as np

from tracer import tree_flatten, tree_map, tree_unflatten

__all__ = ["Dataset"]


class Dataset:
    """An iterable of elements built from slices, shuffled, batched, mapped, repeated.

    >>> ds = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10)).batch(2)
    >>> [x.tolist() for x, _ in ds]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, make_iterator: Callable[[], Iterator], length: int | None = None):
        self._make = make_iterator
        self._length = length

    def __iter__(self) -> Iterator:
        return iter(self._make())

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("this Dataset's length is unknown (infinite or filtered)")
        return self._length

    @property
    def cardinality(self) -> int | None:
        """Number of elements, or None when unknown or infinite."""
        return self._length

    @staticmethod
    def from_tensor_slices(tensors) -> "Dataset":
        """One element per index of the first axis of every array in the pytree `tensors`."""
        leaves, treedef = tree_flatten(tensors)
        leaves = [np.asarray(x) for x in leaves]
        sizes = {x.shape[0] if x.ndim else None for x in leaves}
        if len(sizes) != 1 or None in sizes:
            raise ValueError("from_tensor_slices: every array needs the same first dimension, got "
                             f"shapes {[x.shape for x in leaves]}")
        n = sizes.pop()

        def make():
            for i in range(n):
                yield tree_unflatten(treedef, [x[i] for x in leaves])
        return Dataset(make, n)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> "Dataset":
        """Shuffle with a buffer of `buffer_size` elements (a full shuffle when the buffer
        holds the whole data set). A given seed gives the same order sequence every run."""
        if buffer_size < 1:
            raise ValueError("shuffle: buffer_size must be at least 1")
        epoch = [0]

        def make():
            rng = np.random.default_rng(None if seed is None else
                                        (seed, epoch[0] if reshuffle_each_iteration else 0))
            epoch[0] += 1
            buffer = []
            for element in self:
                if len(buffer) < buffer_size:
                    buffer.append(element)
                    continue
                k = int(rng.integers(len(buffer)))
                yield buffer[k]
                buffer[k] = element
            rng.shuffle(buffer)
            yield from buffer
        return Dataset(make, self._length)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> "Dataset":
        """Stack consecutive elements into batches along a new first axis."""
        if batch_size < 1:
            raise ValueError("batch: batch_size must be at least 1")

        def make():
            chunk = []
            for element in self:
                chunk.append(element)
                if len(chunk) == batch_size:
                    yield tree_map(lambda *xs: np.stack(xs), *chunk)
                    chunk = []
            if chunk and not drop_remainder:
                yield tree_map(lambda *xs: np.stack(xs), *chunk)
        n = self._length
        length = None if n is None else (n // batch_size if drop_remainder else -(-n // batch_size))
        return Dataset(make, length)

    def map(self, fn: Callable) -> "Dataset":
        """Apply `fn` to every element (tuples are unpacked into arguments, as in tf.data)."""
        def make():
            for element in self:
                yield fn(*element) if isinstance(element, tuple) else fn(element)
        return Dataset(make, self._length)

    def repeat(self, count: int | None = None) -> "Dataset":
        """Iterate `count` times (forever when None)."""
        def make():
            k = 0
            while count is None or k < count:
                yield from self
                k += 1
        return Dataset(make, None if count is None or self._length is None else self._length * count)

    def take(self, count: int) -> "Dataset":
        def make():
            for k, element in enumerate(self):
                if k >= count:
                    return
                yield element
        return Dataset(make, count if self._length is None else min(count, self._length))

    def prefetch(self, buffer_size: int = 2) -> "Dataset":
        """Produce up to `buffer_size` elements ahead in a background thread."""
        def make():
            q: queue.Queue = queue.Queue(maxsize=max(1, buffer_size))
            done, stop = object(), threading.Event()

            def produce():
                try:
                    for element in self:
                        while not stop.is_set():
                            try:
                                q.put(element, timeout=0.1)
                                break
                            except queue.Full:
                                continue
                        if stop.is_set():
                            return
                    q.put(done)
                except BaseException as e:   # handed to the consumer, raised there
                    q.put(e)
            thread = threading.Thread(target=produce, daemon=True)
            thread.start()
            try:
                while True:
                    item = q.get()
                    if item is done:
                        return
                    if isinstance(item, BaseException):
                        raise item
                    yield item
            finally:
                stop.set()
        return Dataset(make, self._length)
