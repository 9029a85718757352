// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// init, keys list, keys add-platform: the key file and the database it goes with.
#include <algorithm>
#include <iterator>
#include <utility>

#include "cli.h"
#include "custauth/open_storage.h"
#include "custauth/postgres_storage.h"
#include "custauth/sqlite_storage.h"

namespace custauth::cli {
namespace {

// The platform's JWT key from a file holding its crypt/key setting.
Result<JwtKey> ReadPlatformKey(const std::string& path) {
  auto text = ReadFile(path, "Cannot read the crypt key file");
  if (!text.ok()) return text.status();
  return PlatformJwtKey(*text);
}

// Adds `key` to `keys` as the signing key. kAlreadyExists when its kid is taken by another key
// (unless `replace`: then that key goes, and the tokens it signed stop verifying).
Status AddSigningKey(Keys& keys, const JwtKey& key, bool replace, bool* changed) {
  *changed = false;
  auto same_kid = [&](const JwtKey& k) { return k.kid == key.kid; };
  auto it = std::find_if(keys.jwt_keys.begin(), keys.jwt_keys.end(), same_kid);
  if (it != keys.jwt_keys.end()) {
    if (it->secret == key.secret && std::next(it) == keys.jwt_keys.end()) return Status::Ok();
    if (it->secret != key.secret && !replace) {
      return Status(Code::kAlreadyExists,
                    "The key ring already has a key with kid \"" + key.kid +
                        "\"; --replace swaps it for the platform's key (tokens it signed are "
                        "then refused)");
    }
    keys.jwt_keys.erase(it);
  }
  keys.jwt_keys.push_back(key);  // the last key signs
  *changed = true;
  return Status::Ok();
}

// Creates the key file (with `platform` as its JWT key when given) or adds `platform` to it.
Status PrepareKeyFile(const Cli& cli, const std::optional<JwtKey>& platform, bool* created) {
  *created = false;
  auto existing = LoadKeyFile(cli.key_file);
  if (existing.code() == Code::kNotFound) {
    Keys keys = GenerateKeys(*SystemRandom::Shared());
    if (platform) keys.jwt_keys = {*platform};
    Status saved = SaveKeyFile(cli.key_file, keys);
    if (!saved.ok()) return saved;
    *created = true;
    return Status::Ok();
  }
  if (!existing.ok()) return existing.status();
  if (!platform) return Status::Ok();
  bool changed = false;
  Status added = AddSigningKey(*existing, *platform, /*replace=*/false, &changed);
  if (!added.ok()) return added;
  if (changed) return SaveKeyFile(cli.key_file, *existing, /*overwrite=*/true);
  return Status::Ok();
}

json SchemaVersion(const std::string& db) {
  auto name = ParseStorageName(db);
  if (!name.ok() || name->kind == StorageKind::kMemory) return nullptr;
  return name->kind == StorageKind::kPostgres ? PostgresSchemaVersion() : SqliteSchemaVersion();
}

}  // namespace

int CmdInit(const Cli& cli, const Args& args) {
  const Parsed p = ParseOptions(args, 0, {{"platform-crypt-key-file", true}});
  // The key file first: a database without its keys is of no use.
  std::optional<JwtKey> platform;
  if (p.has("platform-crypt-key-file")) {
    auto key = ReadPlatformKey(p.get("platform-crypt-key-file"));
    if (!key.ok()) return Refuse(key.status());
    platform = std::move(key).value();
  }
  bool created_keys = false;
  Status keys = PrepareKeyFile(cli, platform, &created_keys);
  if (!keys.ok()) return Refuse(keys);
  auto storage = OpenDatabase(cli, true);
  if (!storage.ok()) return Refuse(storage.status());
  return Print({{"database", cli.db},
                {"backend", (*storage)->describe()},
                {"schema_version", SchemaVersion(cli.db)},
                {"key_file", cli.key_file},
                {"key_file_created", created_keys}});
}

int CmdKeysList(const Cli& cli, const Args& args) {
  ParseOptions(args, 0, {});
  auto keys = LoadKeyFile(cli.key_file);
  if (!keys.ok()) return Refuse(keys.status());
  json list = json::array();
  for (std::size_t k = 0; k < keys->jwt_keys.size(); ++k) {
    const auto& key = keys->jwt_keys[k];
    list.push_back({{"kid", key.kid},
                    {"bytes", key.secret.size()},
                    {"signs", k + 1 == keys->jwt_keys.size()}});
  }
  return Print({{"key_file", cli.key_file}, {"jwt_keys", list}});
}

int CmdKeysAddPlatform(const Cli& cli, const Args& args) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    throw UsageError{"keys add-platform takes the crypt key FILE"};
  }
  const Parsed p = ParseOptions(args, 1, {{"replace", false}});
  auto key = ReadPlatformKey(args[0]);
  if (!key.ok()) return Refuse(key.status());
  auto keys = LoadKeyFile(cli.key_file);
  if (!keys.ok()) return Refuse(keys.status());
  bool changed = false;
  Status added = AddSigningKey(*keys, *key, p.has("replace"), &changed);
  if (!added.ok()) return Refuse(added);
  if (changed) {
    Status saved = SaveKeyFile(cli.key_file, *keys, /*overwrite=*/true);
    if (!saved.ok()) return Refuse(saved);
  }
  return Print({{"key_file", cli.key_file}, {"kid", key->kid}, {"added", changed}});
}

}  // namespace custauth::cli
