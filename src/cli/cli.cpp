#include "cli/cli.hpp"

namespace provision::cli {

int run(int /*argc*/, char** /*argv*/) { return 1; }

}  // namespace provision::cli
