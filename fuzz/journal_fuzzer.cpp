// The write-ahead journal's reader on arbitrary bytes: a journal is what a crash (or `kill -9`
// mid-append) leaves behind, so any text must be read without throwing. Checked beyond that:
// every pending intent's sequence number is below the next one handed out, so a new intent can
// never share a number with a pending one (a "done" for one would settle both).

#include "fuzz_check.hpp"

#include "provision/apply/journal.hpp"

using namespace provision;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const apply::JournalContents contents = apply::parse_journal(fuzz::as_text(data, size));
    FUZZ_CHECK(contents.next_seq >= 1);
    for (const auto& intent : contents.pending) {
        FUZZ_CHECK(intent.seq < contents.next_seq);
    }
    return 0;
}
