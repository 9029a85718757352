// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The custauth command-line tool, run as a new process: JSON on stdout, exit 0 / 1 / 2.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "test_util.h"

using custauth::testing::TempDir;
using nlohmann::json;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
  json j() const { return json::parse(out); }
};

std::string Slurp(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

// Runs the CLI with `args`, feeding `input` on stdin; the environment gets CUSTAUTH_DB=db.
Run Cli(const std::string& db, std::vector<std::string> args, const std::string& input = "") {
  std::vector<std::string> full = {CUSTAUTH_CLI_PATH, "--argon2-opslimit", "1",
                                   "--argon2-memlimit", "8192"};
  full.insert(full.end(), args.begin(), args.end());
  int in[2], out[2], err[2];
  REQUIRE(pipe(in) == 0);
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(err) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    setenv("CUSTAUTH_DB", db.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty()) REQUIRE(write(in[1], input.data(), input.size()) == ssize_t(input.size()));
  close(in[1]);
  Run r;
  r.out = Slurp(out[0]);
  r.err = Slurp(err[0]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST_CASE("CLI: init, create, show, update") {
  TempDir dir;
  const std::string db = dir.file("shop.db");

  // Nothing works before init, and the database is not created by accident.
  Run pre = Cli(db, {"customer", "show", "--email", "bobloblaw@example.com"});
  CHECK(pre.exit_code == 1);
  CHECK(pre.j()["errors"][0]["message"].get<std::string>().find("custauth init") !=
        std::string::npos);
  CHECK(access(db.c_str(), F_OK) != 0);

  Run init = Cli(db, {"init"});
  REQUIRE(init.exit_code == 0);
  CHECK(init.j()["schema_version"].get<int>() >= 1);

  Run create = Cli(db,
                   {"customer", "create", "--email", "bobloblaw@example.com", "--firstname", "Bob",
                    "--lastname", "Loblaw", "--password-stdin"},
                   "b0bl0bl@w\n");
  REQUIRE(create.exit_code == 0);
  json c = create.j()["customer"];
  CHECK(c["email"] == "bobloblaw@example.com");
  CHECK(c["confirmed"] == true);
  CHECK(c["has_password"] == true);
  CHECK(c["allow_remote_shopping_assistance"] == false);
  CHECK(create.out.find("b0bl0bl@w") == std::string::npos);
  CHECK(create.out.find("argon2") == std::string::npos);  // the hash is never printed

  Run dup = Cli(db, {"customer", "create", "--email", "BOBLOBLAW@example.com", "--firstname", "B",
                     "--lastname", "L"});
  CHECK(dup.exit_code == 1);
  CHECK(dup.j()["errors"][0]["message"] ==
        "A customer with the same email address already exists in an associated website.");
  CHECK(dup.j()["errors"][0]["extensions"]["category"] == "graphql-already-exists");

  Run bad = Cli(db, {"customer", "create", "--email", "nope", "--firstname", "B", "--lastname",
                     "L", "--password", "Password123"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.j()["errors"][0]["message"] == "\"Email\" is not a valid email address.");
  CHECK(bad.j()["errors"][0]["extensions"]["category"] == "graphql-input");

  Run unconfirmed = Cli(db, {"customer", "create", "--email", "roni_cost@example.com",
                             "--firstname", "Roni", "--lastname", "Cost", "--unconfirmed",
                             "--allow-remote-shopping-assistance"});
  REQUIRE(unconfirmed.exit_code == 0);
  CHECK(unconfirmed.j()["customer"]["confirmed"] == false);
  CHECK(unconfirmed.j()["customer"]["has_password"] == false);
  CHECK(unconfirmed.j()["customer"]["allow_remote_shopping_assistance"] == true);

  Run upd = Cli(db, {"customer", "update", "--email", "roni_cost@example.com", "--confirmed",
                     "true", "--allow-remote-shopping-assistance", "false", "--active", "false"});
  REQUIRE(upd.exit_code == 0);
  CHECK(upd.j()["customer"]["confirmed"] == true);
  CHECK(upd.j()["customer"]["is_active"] == false);
  CHECK(upd.j()["customer"]["allow_remote_shopping_assistance"] == false);
  CHECK_FALSE(upd.j()["customer"]["tokens_revoked_at"].is_null());

  Run show = Cli(db, {"customer", "show", "--email", "Roni_Cost@Example.com"});
  REQUIRE(show.exit_code == 0);
  CHECK(show.j()["customer"]["email"] == "roni_cost@example.com");
  CHECK(show.j()["customer"]["is_active"] == false);

  Run missing = Cli(db, {"customer", "show", "--email", "nobody@example.com"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.j()["errors"][0]["extensions"]["category"] == "graphql-no-such-entity");
}

TEST_CASE("CLI: usage errors exit 2 and touch nothing") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  REQUIRE(Cli(db, {"init"}).exit_code == 0);
  const std::vector<std::vector<std::string>> usage = {
      {},
      {"frobnicate"},
      {"customer"},
      {"customer", "create", "--email", "a@b.co", "--firstname", "A"},  // no --lastname
      {"customer", "create", "--email", "a@b.co", "--firstname", "A", "--lastname", "B",
       "--password", "x", "--password-stdin"},
      {"customer", "update", "--email", "a@b.co", "--confirmed", "maybe"},
      {"customer", "show", "--email"},
      {"customer", "show", "--email", "a@b.co", "--email", "c@d.co"},
      {"customer", "show", "--bogus", "x"},
      {"customer", "show", "--email", "a@b.co", "stray"},
      {"customer", "show", "--email", "a@b.co", "--website-id", "one"},
  };
  for (const auto& args : usage) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    INFO(joined);
    Run r = Cli(db, args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("usage: custauth") != std::string::npos);
  }
  Run show = Cli(db, {"customer", "show", "--email", "a@b.co"});
  CHECK(show.exit_code == 1);  // nothing was created by the refused calls
}
