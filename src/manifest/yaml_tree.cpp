// The only file that includes yaml-cpp. It parses one document (YAML::Load, never LoadAll,
// which hangs on some inputs in 0.7) and copies it into a plain Node tree, reading yaml-cpp
// nodes through const references only (the non-const operator[] inserts). The copy enforces
// what yaml-cpp does not: a depth limit, a node budget (so even an alias graph that slipped
// past the lexical scan cannot explode), a scalar size limit, and unique map keys (yaml-cpp
// keeps duplicates silently; the first occurrence wins here and the second is reported).

#include "loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

namespace provision::manifest::detail {
namespace {

class TreeBuilder {
public:
    TreeBuilder(std::string_view text, DiagnosticSink& sink) : m_text(text), m_sink(sink) {}

    bool build(const YAML::Node& from, Node& to, std::size_t depth) {
        if (++m_nodes > k_max_nodes) {
            if (m_nodes == k_max_nodes + 1) {
                m_sink.error(offset_of(from), "",
                             "the manifest has more than " + std::to_string(k_max_nodes) +
                                 " values; split it into several manifests");
            }
            return false;
        }
        if (depth > k_max_depth) {
            m_sink.error(offset_of(from), "",
                         "nested more than " + std::to_string(k_max_depth) + " levels deep");
            return false;
        }
        to.offset = offset_of(from);
        switch (from.Type()) {
        case YAML::NodeType::Scalar:
            return build_scalar(from, to);
        case YAML::NodeType::Sequence:
            to.kind = Node::Kind::sequence;
            for (const auto& element : from) {
                Node item;
                if (!build(element, item, depth + 1)) {
                    return false;
                }
                to.items.push_back(std::move(item));
            }
            return true;
        case YAML::NodeType::Map:
            return build_map(from, to, depth);
        default:
            to.kind = Node::Kind::null;
            return true;
        }
    }

private:
    std::size_t offset_of(const YAML::Node& node) const {
        const YAML::Mark mark = node.Mark();
        if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) > m_text.size()) {
            return k_no_offset;
        }
        return static_cast<std::size_t>(mark.pos);
    }

    bool build_scalar(const YAML::Node& from, Node& to) {
        to.kind = Node::Kind::scalar;
        to.text = from.Scalar();
        // Plain scalars carry the non-specific tag "?"; quoted and block scalars carry "!".
        to.plain = from.Tag() == "?";
        if (to.text.size() > k_max_scalar_bytes) {
            m_sink.error(to.offset, "",
                         "this value is longer than " + std::to_string(k_max_scalar_bytes) +
                             " bytes, far more than any field needs");
            to.text.clear();
        }
        return true;
    }

    bool build_map(const YAML::Node& from, Node& to, std::size_t depth) {
        to.kind = Node::Kind::map;
        std::map<std::string, std::size_t, std::less<>> seen;
        // Iterators yield proxies by value; the range-for keeps each one alive for the body.
        for (const auto& entry : from) {
            const YAML::Node& key_node = entry.first;
            const YAML::Node& value_node = entry.second;
            Node key;
            Node value;
            if (!build(key_node, key, depth + 1) || !build(value_node, value, depth + 1)) {
                return false;
            }
            if (key.kind != Node::Kind::scalar) {
                m_sink.error(key.offset, "",
                             "a field name must be a plain word, not a list, map "
                             "or empty value");
                continue;
            }
            const auto [first, inserted] = seen.emplace(key.text, key.offset);
            if (!inserted) {
                const Location earlier = m_sink.location(first->second);
                m_sink.error(key.offset, "",
                             "duplicate field `" + key.text + "` (first written on line " +
                                 std::to_string(earlier.line) +
                                 "); YAML would silently keep one of them, so remove the other");
                continue;
            }
            to.entries.push_back(Node::Entry{std::move(key), std::move(value)});
        }
        return true;
    }

    std::string_view m_text;
    DiagnosticSink& m_sink;
    std::size_t m_nodes = 0;
};

}  // namespace

std::optional<Node> parse_tree(std::string_view text, DiagnosticSink& sink) {
    YAML::Node document;
    try {
        document = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
        std::size_t offset = k_no_offset;
        if (e.mark.pos >= 0) {
            // Errors at the end of the input may point just past it.
            offset = std::min(static_cast<std::size_t>(e.mark.pos), text.size());
        }
        sink.error(offset, "",
                   "YAML syntax error: " + e.msg +
                       "; check the indentation and the brackets and quotes");
        return std::nullopt;
    } catch (const YAML::Exception& e) {
        sink.error(k_no_offset, "", std::string("YAML error: ") + e.what());
        return std::nullopt;
    }
    Node root;
    const YAML::Node& const_document = document;
    if (!TreeBuilder(text, sink).build(const_document, root, 1)) {
        return std::nullopt;
    }
    return root;
}

}  // namespace provision::manifest::detail
