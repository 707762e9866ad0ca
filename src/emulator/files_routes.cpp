// Appendix A's rooms and files routes: just enough for the scope checks of API-key callers.
#include "ids.hpp"
#include "portal.hpp"

#include <algorithm>

namespace emulator {
namespace {

std::optional<std::int64_t> parse_id(const std::string& text) {
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return std::stoll(text);
}

std::string title_of(const std::string& body) {
    try {
        const Json json = Json::parse(body);
        std::string title;
        for (const auto& [key, value] : json.items()) {
            if (to_lower(key) == "title" && value.is_string()) {
                title = value.get<std::string>();
            }
        }
        return title;
    } catch (const nlohmann::json::exception&) {
        return {};
    }
}

int room_type_of(const std::string& body) {
    try {
        const Json json = Json::parse(body);
        for (const auto& [key, value] : json.items()) {
            if (to_lower(key) == "roomtype" && value.is_number_integer()) {
                return value.get<int>();
            }
        }
    } catch (const nlohmann::json::exception&) {
    }
    return 6;
}

}  // namespace

std::optional<ApiResponse> Portal::route_files(const ApiRequest& request, AuthKind& auth) {
    const std::string rooms = "/api/2.0/files/rooms";
    const std::string files = "/api/2.0/files/";
    const std::string& path = request.path;
    const std::string& method = request.method;
    const bool create_room = path == rooms && method == "POST";
    std::optional<std::int64_t> room_id;
    if (method == "GET" && path.rfind(rooms + "/", 0) == 0) {
        room_id = parse_id(path.substr(rooms.size() + 1));
    }
    std::optional<std::int64_t> folder_id;
    if (method == "POST" && path.rfind(files, 0) == 0 && path.size() > 5 &&
        path.substr(path.size() - 5) == "/file") {
        folder_id = parse_id(path.substr(files.size(), path.size() - 5 - files.size()));
    }
    if (!create_room && !room_id && !folder_id) {
        return std::nullopt;
    }
    std::optional<ApiResponse> denied;
    const auto caller = admit(request, auth, denied);
    if (!caller) {
        return denied;
    }
    const int offset = m_state.settings.utc_offset_minutes;
    auto room_json = [&](const Room& room) {
        return Json{{"id", room.id},
                    {"title", room.title},
                    {"roomType", room.room_type},
                    {"parentId", 0},
                    {"rootFolderType", 14},
                    {"createdBy", employee_json(request, room.created_by)},
                    {"created", format_api_date(round_to_seconds(now_ticks()), offset)}};
    };
    if (create_room) {
        const std::string title = title_of(request.body);
        if (title.empty()) {
            return error_response({400, "System.ArgumentException", "Title is empty", -2147024809});
        }
        Room room{m_state.next_item_id++, title, room_type_of(request.body), caller->user_id};
        m_state.rooms.push_back(room);
        save();
        return envelope(request, room_json(room));
    }
    if (room_id) {
        const auto it = std::find_if(m_state.rooms.begin(), m_state.rooms.end(),
                                     [&](const Room& r) { return r.id == *room_id; });
        if (it == m_state.rooms.end()) {
            return error_response(item_not_found("The folder was not found"));
        }
        return envelope(request, room_json(*it));
    }
    const auto room = std::find_if(m_state.rooms.begin(), m_state.rooms.end(),
                                   [&](const Room& r) { return r.id == *folder_id; });
    if (room == m_state.rooms.end()) {
        return error_response(item_not_found("The folder was not found"));
    }
    FileItem file{m_state.next_item_id++, *folder_id, title_of(request.body), caller->user_id};
    if (file.title.empty()) {
        file.title = "New document.docx";
    }
    m_state.files.push_back(file);
    save();
    return envelope(request, Json{{"id", file.id},
                                  {"title", file.title},
                                  {"folderId", file.folder_id},
                                  {"version", 1},
                                  {"createdBy", employee_json(request, file.created_by)}});
}

}  // namespace emulator
