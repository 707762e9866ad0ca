// docspace-emulator: a local stand-in for a DocSpace portal's API keys endpoints.
#include "options.hpp"
#include "server.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    int exit_code = 0;
    const auto options = emulator::parse_options(argc, argv, exit_code);
    if (!options) {
        return exit_code;
    }
    try {
        emulator::Server server(*options);
        return server.run();
    } catch (const std::exception& e) {
        std::cerr << "docspace-emulator: " << e.what() << "\n";
        return 1;
    }
}
