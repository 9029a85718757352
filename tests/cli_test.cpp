// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The custauth command-line tool, run as a new process: JSON on stdout, exit 0 / 1 / 2.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "test_util.h"

using custauth::testing::TempDir;
using nlohmann::json;

namespace cli_test {

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
  std::vector<std::string> full = {CUSTAUTH_CLI_PATH, "--argon2-opslimit", "1", "--argon2-memlimit",
                                   "8192"};
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
  CHECK(create.out.find("$argon2") == std::string::npos);  // the hash is never printed
  CHECK(c["password_format"] == "argon2id");               // only its format

  Run dup = Cli(db, {"customer", "create", "--email", "BOBLOBLAW@example.com", "--firstname", "B",
                     "--lastname", "L"});
  CHECK(dup.exit_code == 1);
  CHECK(dup.j()["errors"][0]["message"] ==
        "A customer with the same email address already exists in an associated website.");
  CHECK(dup.j()["errors"][0]["extensions"]["category"] == "graphql-already-exists");

  Run bad = Cli(db, {"customer", "create", "--email", "nope", "--firstname", "B", "--lastname", "L",
                     "--password", "Password123"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.j()["errors"][0]["message"] == "\"Email\" is not a valid email address.");
  CHECK(bad.j()["errors"][0]["extensions"]["category"] == "graphql-input");

  Run unconfirmed =
      Cli(db, {"customer", "create", "--email", "roni_cost@example.com", "--firstname", "Roni",
               "--lastname", "Cost", "--unconfirmed", "--allow-remote-shopping-assistance"});
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

TEST_CASE("CLI: generate-customer-token, reset, otc, verify, revoke, audit") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  Run init = Cli(db, {"init"});
  REQUIRE(init.exit_code == 0);
  CHECK(init.j()["key_file_created"] == true);
  CHECK(init.j()["key_file"] == dir.file("shop.key"));
  struct stat st {};
  REQUIRE(stat(dir.file("shop.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // A second init keeps the keys.
  CHECK(Cli(db, {"init"}).j()["key_file_created"] == false);

  REQUIRE(Cli(db, {"customer", "create", "--email", "bobloblaw@example.com", "--firstname", "Bob",
                   "--lastname", "Loblaw", "--password", "b0bl0bl@w"})
              .exit_code == 0);
  Run login =
      Cli(db, {"generate-customer-token", "--email", "bobloblaw@example.com", "--password-stdin"},
          "b0bl0bl@w\n");
  REQUIRE(login.exit_code == 0);
  const std::string token = login.j()["data"]["generateCustomerToken"]["token"];
  Run verify = Cli(db, {"token", "verify", token});
  REQUIRE(verify.exit_code == 0);
  CHECK(verify.j()["utypid"] == 3);

  Run wrong = Cli(
      db, {"generate-customer-token", "--email", "bobloblaw@example.com", "--password", "nope"});
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.j()["errors"][0]["message"] ==
        "The account sign-in was incorrect or your account is disabled temporarily. Please wait "
        "and try again later.");
  CHECK(wrong.j()["errors"][0]["extensions"]["category"] == "graphql-authentication");

  Run reset = Cli(db, {"request-password-reset", "--email", "bobloblaw@example.com"});
  REQUIRE(reset.exit_code == 0);
  const std::string reset_token = reset.j()["token"];
  Run unknown = Cli(db, {"request-password-reset", "--email", "nobody@example.com"});
  REQUIRE(unknown.exit_code == 0);
  CHECK(unknown.j()["token"].is_null());
  Run again = Cli(db, {"request-password-reset", "--email", "bobloblaw@example.com"});
  CHECK(again.exit_code == 1);
  CHECK(again.j()["errors"][0]["message"] ==
        "We received too many requests for password resets. Please wait and try again later.");
  Run set = Cli(db,
                {"reset-password", "--email", "bobloblaw@example.com", "--token", reset_token,
                 "--new-password-stdin"},
                "N3w-Passw0rd\n");
  REQUIRE(set.exit_code == 0);
  Run reused = Cli(db, {"reset-password", "--email", "bobloblaw@example.com", "--token",
                        reset_token, "--new-password", "An0ther-Pass"});
  CHECK(reused.exit_code == 1);
  CHECK(reused.j()["errors"][0]["message"] ==
        "The password token is mismatched. Reset and try again.");
  Run revoked = Cli(db, {"token", "verify", token});
  CHECK(revoked.exit_code == 1);
  CHECK(revoked.j()["errors"][0]["message"] == "The token has been revoked.");

  Run no_consent = Cli(db, {"otc", "issue", "--email", "bobloblaw@example.com", "--admin-id", "7"});
  CHECK(no_consent.exit_code == 1);
  CHECK(no_consent.j()["errors"][0]["message"] ==
        "Login as Customer assistance is disabled for this Customer.");
  REQUIRE(Cli(db, {"customer", "update", "--email", "bobloblaw@example.com",
                   "--allow-remote-shopping-assistance", "true"})
              .exit_code == 0);
  Run otc = Cli(db, {"otc", "issue", "--email", "bobloblaw@example.com", "--admin-id", "7",
                     "--reason", "support call"});
  REQUIRE(otc.exit_code == 0);
  const std::string code = otc.j()["otp"];
  CHECK(code.size() == 32);
  Run exchanged = Cli(db, {"exchange-otc", "--email", "bobloblaw@example.com", "--otc", code});
  REQUIRE(exchanged.exit_code == 0);
  const std::string otc_token = exchanged.j()["data"]["generateCustomerToken"]["token"];
  CHECK(Cli(db, {"exchange-otc", "--email", "bobloblaw@example.com", "--otc", code}).exit_code ==
        1);
  CHECK(Cli(db, {"token", "verify", otc_token}).exit_code == 0);
  REQUIRE(Cli(db, {"token", "revoke", "--email", "bobloblaw@example.com"}).exit_code == 0);
  CHECK(Cli(db, {"token", "verify", otc_token}).exit_code == 1);

  Run audit = Cli(db, {"audit", "list", "--email", "bobloblaw@example.com"});
  REQUIRE(audit.exit_code == 0);
  const json records = audit.j()["audit"];
  std::vector<std::string> events;
  for (const auto& r : records) events.push_back(r["event"]);
  CHECK(std::find(events.begin(), events.end(), "otc.issue") != events.end());
  CHECK(std::find(events.begin(), events.end(), "otc.use") != events.end());
  CHECK(std::find(events.begin(), events.end(), "password.reset") != events.end());
  CHECK(std::find(events.begin(), events.end(), "tokens.revoke") != events.end());
  for (const auto& r : records) {
    if (r["event"] == "otc.issue") {
      CHECK(r["admin_id"] == 7);
      CHECK(r["reason"] == "support call");
    }
  }

  // A missing key file is a clear error, never a silently new key.
  REQUIRE(unlink(dir.file("shop.key").c_str()) == 0);
  Run no_key = Cli(db, {"token", "verify", token});
  CHECK(no_key.exit_code == 1);
  CHECK(no_key.j()["errors"][0]["message"].get<std::string>().find("does not exist") !=
        std::string::npos);
  CHECK(access(dir.file("shop.key").c_str(), F_OK) != 0);
}

TEST_CASE("CLI: integration import refuses a bad entry with its index, and re-runs skip") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  REQUIRE(Cli(db, {"init"}).exit_code == 0);
  const std::string good = R"({"name":"A","consumer_key":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                           R"("consumer_secret":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",)"
                           R"("access_token":"cccccccccccccccccccccccccccccccc",)"
                           R"("token_secret":"dddddddddddddddddddddddddddddddd"})";
  const std::string file = dir.file("integrations.json");
  auto write = [&](const std::string& text) { std::ofstream(file) << text; };

  write("[" + good +
        R"(,{"name":"B","consumer_key":"short","consumer_secret":"x",)"
        R"("access_token":"y","token_secret":"z"}])");
  Run bad = Cli(db, {"integration", "import", file});
  CHECK(bad.exit_code == 1);
  CHECK(bad.j()["errors"][0]["message"].get<std::string>().find(
            "entry 1: The integration's consumer_key must be 32 letters and digits (1 imported") !=
        std::string::npos);

  write(R"([{"name":1}])");
  Run shape = Cli(db, {"integration", "import", file});
  CHECK(shape.exit_code == 1);
  CHECK(shape.j()["errors"][0]["message"].get<std::string>().find("entry 0: no string \"name\"") !=
        std::string::npos);

  write(good);
  Run again = Cli(db, {"integration", "import", file});
  CHECK(again.exit_code == 0);
  CHECK(again.j()["imported"].empty());
  CHECK(again.j()["skipped"].size() == 1);
  CHECK(Cli(db, {"integration", "list"}).j()["integrations"].size() == 1);
}

TEST_CASE("CLI: customer delete erases the customer; its token stops verifying") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  REQUIRE(Cli(db, {"init"}).exit_code == 0);
  Run create = Cli(db, {"customer", "create", "--email", "erin.erase@example.com", "--firstname",
                        "Erin", "--lastname", "Erase", "--password", "Password123"});
  REQUIRE(create.exit_code == 0);
  Run login = Cli(db, {"generate-customer-token", "--email", "erin.erase@example.com", "--password",
                       "Password123", "--client-ip", "198.51.100.23"});
  REQUIRE(login.exit_code == 0);
  const std::string token = login.j()["data"]["generateCustomerToken"]["token"];

  Run missing = Cli(db, {"customer", "delete"});
  CHECK(missing.exit_code == 2);
  Run del = Cli(db, {"customer", "delete", "--email", "Erin.Erase@example.com"});
  REQUIRE(del.exit_code == 0);
  CHECK(del.j()["deleted"] == true);
  CHECK(del.j()["id"] == create.j()["customer"]["id"]);
  CHECK(Cli(db, {"token", "verify", token}).exit_code == 1);
  CHECK(Cli(db, {"customer", "show", "--email", "erin.erase@example.com"}).exit_code == 1);
  Run again = Cli(db, {"customer", "delete", "--email", "erin.erase@example.com"});
  CHECK(again.exit_code == 1);
  CHECK(again.j()["errors"][0]["extensions"]["category"] == "graphql-no-such-entity");

  Run audit = Cli(db, {"audit", "list"});
  REQUIRE(audit.exit_code == 0);
  CHECK(audit.out.find("erin.erase@example.com") == std::string::npos);
  CHECK(audit.out.find("198.51.100.23") == std::string::npos);
  CHECK(audit.j()["audit"].back()["event"] == "customer.delete");
}

TEST_CASE("CLI: prune reports the rows removed per table; --audit-retention-days is checked") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  REQUIRE(Cli(db, {"init"}).exit_code == 0);
  REQUIRE(Cli(db, {"request-password-reset", "--email", "nobody@example.com", "--client-ip",
                   "203.0.113.7"})
              .exit_code == 0);
  Run pruned = Cli(db, {"prune"});
  REQUIRE(pruned.exit_code == 0);
  for (const char* table :
       {"rate_events", "rate_buckets", "nonces", "secrets", "opaque_tokens", "audit"}) {
    CHECK(pruned.j()["pruned"][table].get<std::int64_t>() == 0);  // nothing has expired yet
  }
  CHECK(pruned.j()["audit_retention_days"].get<int>() == 180);
  Run forever = Cli(db, {"--audit-retention-days", "0", "prune"});
  REQUIRE(forever.exit_code == 0);
  CHECK(forever.j()["audit_retention_days"].get<int>() == 0);
  CHECK(Cli(db, {"--audit-retention-days", "-1", "prune"}).exit_code == 2);
  CHECK(Cli(db, {"--audit-retention-days", "36601", "prune"}).exit_code == 2);
}

TEST_CASE("CLI: customer change-password, its -stdin options and each refusal") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  REQUIRE(Cli(db, {"init"}).exit_code == 0);
  const std::string email = "bobloblaw@example.com";
  REQUIRE(Cli(db, {"customer", "create", "--email", email, "--firstname", "Bob", "--lastname",
                   "Loblaw", "--password", "b0bl0bl@w"})
              .exit_code == 0);
  auto signs_in = [&](const std::string& password) {
    return Cli(db, {"generate-customer-token", "--email", email, "--password", password})
               .exit_code == 0;
  };
  Run login = Cli(db, {"generate-customer-token", "--email", email, "--password", "b0bl0bl@w"});
  REQUIRE(login.exit_code == 0);
  const std::string token = login.j()["data"]["generateCustomerToken"]["token"];

  // The arguments on the command line: the old password is refused after, the new one works, and
  // the token issued before is revoked.
  Run changed = Cli(db, {"customer", "change-password", "--email", email, "--current-password",
                         "b0bl0bl@w", "--new-password", "N3w-Passw0rd"});
  REQUIRE(changed.exit_code == 0);
  CHECK(changed.j()["changed"] == true);
  CHECK_FALSE(signs_in("b0bl0bl@w"));
  CHECK(signs_in("N3w-Passw0rd"));
  CHECK(Cli(db, {"token", "verify", token}).exit_code == 1);

  // Both on stdin: the current password, then the new one, one a line.
  Run both = Cli(db,
                 {"customer", "change-password", "--email", email, "--current-password-stdin",
                  "--new-password-stdin"},
                 "N3w-Passw0rd\r\nAn0ther-Pass\n");
  REQUIRE(both.exit_code == 0);
  CHECK_FALSE(signs_in("N3w-Passw0rd"));
  CHECK(signs_in("An0ther-Pass"));
  // One on stdin, the other on the command line.
  REQUIRE(Cli(db,
              {"customer", "change-password", "--email", email, "--current-password-stdin",
               "--new-password", "Th1rd-Passw0rd"},
              "An0ther-Pass\n")
              .exit_code == 0);
  REQUIRE(Cli(db,
              {"customer", "change-password", "--email", email, "--current-password",
               "Th1rd-Passw0rd", "--new-password-stdin"},
              "F0urth-Passw0rd\n")
              .exit_code == 0);
  CHECK(signs_in("F0urth-Passw0rd"));

  // Each refusal: exit 1, DOMAIN.md's message and category, and the password unchanged.
  struct Refusal {
    std::vector<std::string> args;
    std::string input;
    std::string message;
    std::string category;
  };
  const std::vector<Refusal> refusals = {
      {{"--email", email, "--current-password", "", "--new-password", "Fifth-Passw0rd"},
       "",
       "Specify the \"currentPassword\" value.",
       "graphql-input"},
      {{"--email", email, "--current-password-stdin", "--new-password-stdin"},
       "\nFifth-Passw0rd\n",
       "Specify the \"currentPassword\" value.",
       "graphql-input"},
      {{"--email", email, "--current-password", "F0urth-Passw0rd", "--new-password", ""},
       "",
       "Specify the \"newPassword\" value.",
       "graphql-input"},
      {{"--email", email, "--current-password-stdin", "--new-password-stdin"},
       "F0urth-Passw0rd\n",
       "Specify the \"newPassword\" value.",
       "graphql-input"},
      {{"--email", "", "--current-password", "F0urth-Passw0rd", "--new-password", "Fifth-Passw0rd"},
       "",
       "Specify the \"email\" value.",
       "graphql-input"},
      {{"--email", email, "--current-password", "F0urth-Passw0rd", "--new-password", "short"},
       "",
       "",
       "graphql-input"},
      {{"--email", email, "--current-password", "Wrong-Passw0rd", "--new-password",
        "Fifth-Passw0rd"},
       "",
       "Invalid login or password.",
       "graphql-authentication"},
      {{"--email", "nobody@example.com", "--current-password", "F0urth-Passw0rd", "--new-password",
        "Fifth-Passw0rd"},
       "",
       "Invalid login or password.",
       "graphql-authentication"},
  };
  for (const Refusal& r : refusals) {
    std::vector<std::string> args = {"customer", "change-password"};
    args.insert(args.end(), r.args.begin(), r.args.end());
    std::string joined;
    for (const auto& a : args) joined += "'" + a + "' ";
    INFO(joined);
    Run run = Cli(db, args, r.input);
    CHECK(run.exit_code == 1);
    REQUIRE(run.j().contains("errors"));
    if (!r.message.empty()) CHECK(run.j()["errors"][0]["message"] == r.message);
    CHECK(run.j()["errors"][0]["extensions"]["category"] == r.category);
  }
  CHECK(signs_in("F0urth-Passw0rd"));  // which also resets the failure counter

  // Locked: the failure that locks answers as a locked account, and so does every later call,
  // the right current password too; the password is unchanged.
  for (int i = 1; i <= 10; ++i) {
    Run wrong = Cli(db, {"customer", "change-password", "--email", email, "--current-password",
                         "Wrong-Passw0rd", "--new-password", "Fifth-Passw0rd"});
    CHECK(wrong.exit_code == 1);
    CHECK(wrong.j()["errors"][0]["message"] ==
          (i < 10 ? "Invalid login or password." : "The account is locked."));
  }
  Run locked = Cli(db, {"customer", "change-password", "--email", email, "--current-password",
                        "F0urth-Passw0rd", "--new-password", "Fifth-Passw0rd"});
  CHECK(locked.exit_code == 1);
  CHECK(locked.j()["errors"][0]["message"] == "The account is locked.");
  CHECK(locked.j()["errors"][0]["extensions"]["category"] == "graphql-authentication");
  Run show = Cli(db, {"customer", "show", "--email", email});
  REQUIRE(show.exit_code == 0);
  CHECK(show.j()["customer"]["failures_num"] == 10);

  // Usage errors: exit 2, nothing read or changed.
  const std::vector<std::vector<std::string>> usage = {
      {"customer", "change-password", "--current-password", "a", "--new-password", "b"},
      {"customer", "change-password", "--email", email, "--new-password", "b"},
      {"customer", "change-password", "--email", email, "--current-password", "a"},
      {"customer", "change-password", "--email", email, "--current-password", "a",
       "--current-password-stdin", "--new-password", "b"},
      {"customer", "change-password", "--email", email, "--current-password", "a", "--new-password",
       "b", "--new-password-stdin"},
      {"customer", "change-password", "--email", email, "--current-password", "a", "--new-password",
       "b", "--password", "c"},
  };
  for (const auto& args : usage) {
    Run r = Cli(db, args, "a\nb\n");
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
  }
}

TEST_CASE("CLI: --sessions, session list, session revoke, token renew") {
  TempDir dir;
  const std::string db = dir.file("shop.db");
  REQUIRE(Cli(db, {"init"}).exit_code == 0);
  REQUIRE(Cli(db, {"customer", "create", "--email", "sam.session@example.com", "--firstname", "Sam",
                   "--lastname", "Session", "--password", "Password123"})
              .exit_code == 0);
  const auto login = [&](const std::string& ip) {
    Run r = Cli(db, {"--sessions", "generate-customer-token", "--email", "sam.session@example.com",
                     "--password", "Password123", "--client-ip", ip});
    REQUIRE(r.exit_code == 0);
    return r.j()["data"]["generateCustomerToken"]["token"].get<std::string>();
  };
  const std::string phone = login("198.51.100.1");
  const std::string laptop = login("198.51.100.2");
  Run verified = Cli(db, {"token", "verify", laptop});
  REQUIRE(verified.exit_code == 0);
  CHECK(verified.j()["sid"].get<std::int64_t>() > 0);

  Run list = Cli(db, {"session", "list", "--email", "sam.session@example.com"});
  REQUIRE(list.exit_code == 0);
  REQUIRE(list.j()["sessions"].size() == 2);
  CHECK(list.j()["sessions"][0]["client_ip"] == "198.51.100.1");
  CHECK(list.j()["sessions"][0]["method"] == "password");

  Run revoke = Cli(db, {"session", "revoke", phone});
  REQUIRE(revoke.exit_code == 0);
  CHECK(revoke.j() == json{{"ok", true}});
  CHECK(Cli(db, {"token", "verify", laptop}).exit_code == 0);
  Run refused = Cli(db, {"token", "verify", phone});
  CHECK(refused.exit_code == 1);
  CHECK(refused.j()["errors"][0]["extensions"]["code"] == "invalid_token");
  list = Cli(db, {"session", "list", "--email", "sam.session@example.com"});
  REQUIRE(list.exit_code == 0);
  REQUIRE(list.j()["sessions"].size() == 1);
  CHECK(list.j()["sessions"][0]["id"] == verified.j()["sid"]);

  Run renewed = Cli(db, {"--sessions", "token", "renew", laptop});
  REQUIRE(renewed.exit_code == 0);
  CHECK(renewed.j()["session_id"] == verified.j()["sid"]);
  CHECK(renewed.j()["expires_at"].get<std::int64_t>() >= verified.j()["exp"].get<std::int64_t>());
  CHECK(Cli(db, {"token", "verify", renewed.j()["token"].get<std::string>()}).exit_code == 0);
  CHECK(Cli(db, {"token", "renew", phone}).exit_code == 1);

  // Without --sessions a token names no session: nothing to renew or revoke.
  Run plain = Cli(db, {"generate-customer-token", "--email", "sam.session@example.com",
                       "--password", "Password123"});
  REQUIRE(plain.exit_code == 0);
  const std::string token = plain.j()["data"]["generateCustomerToken"]["token"];
  Run no_session = Cli(db, {"token", "renew", token});
  CHECK(no_session.exit_code == 1);
  CHECK(no_session.j()["errors"][0]["message"] == "The token has no session.");
  CHECK(Cli(db, {"session", "revoke", token}).exit_code == 1);
  CHECK(Cli(db, {"session", "revoke"}).exit_code == 2);
  CHECK(Cli(db, {"session", "list"}).exit_code == 2);
}

}  // namespace cli_test
