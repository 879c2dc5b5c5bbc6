#include "sandbox/leak_check.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace mpdrill::sandbox {
namespace {

// Numeric entries of a /proc directory; bounded by what the directory holds.
std::vector<std::string> NumericEntries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      names.push_back(name);
    }
  }
  closedir(d);
  return names;
}

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "S", "Z", ... from /proc/<pid>/stat, and the parent PID.
bool ReadStat(pid_t pid, char* state, pid_t* ppid) {
  const std::string stat = ReadFirstLine("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return false;
  std::istringstream rest(stat.substr(close_paren + 1));
  rest >> *state >> *ppid;
  return static_cast<bool>(rest);
}

}  // namespace

std::vector<pid_t> ProcessesNamed(const std::string& comm) {
  std::vector<pid_t> out;
  for (const std::string& p : NumericEntries("/proc")) {
    if (ReadFirstLine("/proc/" + p + "/comm") == comm) out.push_back(std::atoi(p.c_str()));
  }
  return out;
}

std::vector<pid_t> ProcessesUsingNetns(ino_t inode) {
  std::vector<pid_t> out;
  const std::string link_text = "net:[" + std::to_string(inode) + "]";
  for (const std::string& p : NumericEntries("/proc")) {
    bool uses = false;
    const std::string base = "/proc/" + p;
    for (const std::string& t : NumericEntries(base + "/task")) {
      struct stat st {};
      if (stat((base + "/task/" + t + "/ns/net").c_str(), &st) == 0 && st.st_ino == inode) {
        uses = true;
        break;
      }
    }
    if (!uses) {
      for (const std::string& fd : NumericEntries(base + "/fd")) {
        char target[128];
        const ssize_t n = readlink((base + "/fd/" + fd).c_str(), target, sizeof(target) - 1);
        if (n > 0 && std::string(target, static_cast<std::size_t>(n)) == link_text) {
          uses = true;
          break;
        }
      }
    }
    if (uses) out.push_back(std::atoi(p.c_str()));
  }
  return out;
}

bool ProcessAlive(pid_t pid) {
  char state = 0;
  pid_t ppid = 0;
  return ReadStat(pid, &state, &ppid) && state != 'Z' && state != 'X';
}

pid_t ParentOf(pid_t pid) {
  char state = 0;
  pid_t ppid = -1;
  return ReadStat(pid, &state, &ppid) ? ppid : -1;
}

}  // namespace mpdrill::sandbox
