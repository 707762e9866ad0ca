#include "cli/cli.hpp"

int main(int argc, char** argv) {
    return provision::cli::run(argc, argv);
}
