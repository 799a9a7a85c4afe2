#ifndef SWITCHBOARD_TOOLS_SBCTL_TABLE_H_
#define SWITCHBOARD_TOOLS_SBCTL_TABLE_H_

#include <string>
#include <vector>

namespace switchboard::sbctl {

// A plain-text table for terminal output: a header row and left-aligned
// columns separated by two spaces. Cells are shown as given, except that
// control characters (newlines in payloads) are escaped so a row stays a row.
class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // Missing cells are blank; extra ones are dropped.
  void AddRow(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }

  // One line per row, each ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace switchboard::sbctl

#endif  // SWITCHBOARD_TOOLS_SBCTL_TABLE_H_
