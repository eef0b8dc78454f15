#pragma once
// Which dtpinn made a file: the version of the build and the git commit of its sources (taken
// when the library is built; "unknown" outside a git checkout), recorded in results.json and
// printed by `dtpinn --version`.
namespace dtpinn::core {

/// "0.1.0" (the project version of CMakeLists.txt).
const char* dtpinn_version();
/// The abbreviated commit hash, with "-dirty" when tracked files had uncommitted changes;
/// "unknown" when the sources are not a git checkout.
const char* dtpinn_git_commit();

}  // namespace dtpinn::core
