#pragma once
/// A bounded parallel loop, for running independent API calls side by side.

#include <cstddef>
#include <functional>

namespace provision::core {

/// Runs body(i) for every i in [0, count) on up to `concurrency` threads (on the calling thread
/// alone when that is 1 or there is one index), each thread taking the next index in order.
/// An exception thrown by a body stops the threads from taking new indices; the first one is
/// rethrown here once every thread has finished.
void for_each_index(std::size_t count, int concurrency,
                    const std::function<void(std::size_t)>& body);

}  // namespace provision::core
