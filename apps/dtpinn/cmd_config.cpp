// dtpinn config: the configuration, every key: a config file with the flags applied (or the
// default experiment) as TOML with each key's description, or the reference of every key.
#include "commands.hpp"
#include "run_args.hpp"

#include <dtpinn/core/problem/config.hpp>

#include <iostream>
#include <memory>

namespace dtpinn::app {

void add_config_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  auto reference = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "config",
      "print a configuration with every key and its description (the default experiment, or "
      "CONFIG with the flags applied): `dtpinn config > run.toml` starts a config; "
      "--reference prints the Markdown reference of every key (docs/user/config.md)");
  add_config_flags(cmd, a, FlagSet::run, true);
  cmd->add_flag("--reference", *reference,
                "the reference of every key (type, default, allowed values, description) as "
                "Markdown");
  cmd->callback([a, reference] {
    if (*reference) {
      std::cout << core::config_reference();
      return;
    }
    std::cout << core::to_toml(make_config(*a, "config"));
  });
}

}  // namespace dtpinn::app
