#pragma once
// Which dtpinn made a file: the version of the build and the git commit of its sources (taken
// when the build is configured, which it is again whenever the commit moves; "unknown" outside
// a git checkout), recorded in results.json and printed by `dtpinn --version`.
namespace dtpinn::core {

/// "0.1.0" (the project version of CMakeLists.txt).
const char* dtpinn_version();
/// The abbreviated commit hash (12 hex digits) of the sources; "unknown" when they are not a
/// git checkout. Changes not committed yet are not reflected.
const char* dtpinn_git_commit();

}  // namespace dtpinn::core
