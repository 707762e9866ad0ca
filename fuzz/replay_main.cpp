// A main for the fuzz harnesses without libFuzzer: passes every file given, and every file
// under every directory given (recursively, in sorted order, as libFuzzer reads a corpus), once
// to LLVMFuzzerTestOneInput. Built with the normal compiler, it makes each harness a CTest that
// replays the checked-in corpus and regressions, so scripts/test and its ASan+UBSan build check
// every input a fuzzer ever crashed on. A directory that does not exist holds no inputs (a
// target may have no regressions yet), but a run with no input at all fails, so a wrong path
// cannot pass unnoticed.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> collect_inputs(int argc, char** argv) {
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg(argv[i]);
        if (fs::is_directory(arg)) {
            for (const auto& entry : fs::recursive_directory_iterator(arg)) {
                if (entry.is_regular_file()) {
                    inputs.push_back(entry.path());
                }
            }
        } else if (fs::exists(arg)) {
            inputs.push_back(arg);
        }
    }
    std::sort(inputs.begin(), inputs.end());
    return inputs;
}

/// The file's bytes in a buffer of exactly their size, so ASan sees any read past the end.
std::vector<char> read_bytes(const fs::path& path) {
    std::vector<char> bytes(static_cast<std::size_t>(fs::file_size(path)));
    std::ifstream in(path, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<fs::path> inputs = collect_inputs(argc, argv);
    for (const auto& path : inputs) {
        // Named before it runs, so a crash report says which input caused it.
        std::fprintf(stderr, "replaying %s\n", path.c_str());
        std::fflush(stderr);
        const std::vector<char> bytes = read_bytes(path);
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::fprintf(stderr, "replayed %zu inputs\n", inputs.size());
    return inputs.empty() ? 1 : 0;
}
