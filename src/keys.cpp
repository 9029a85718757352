// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#include "custauth/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "crypto.h"
#include "internal.h"
#include "json.h"

namespace custauth {
namespace {

constexpr std::size_t kKeyBytes = 32;

bool ValidKid(std::string_view kid) {
  if (kid.empty() || kid.size() > 64) return false;
  for (char c : kid) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string RandomBytes(Random& random, std::size_t n) {
  std::string s(n, '\0');
  random.fill(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(s.data()), s.size()));
  return s;
}

Status Invalid(const std::string& path, const std::string& what) {
  return Status(Code::kInvalidInput, "key file " + path + ": " + what);
}

}  // namespace

std::string PlatformJwtSecret(std::string_view crypt_key) {
  constexpr std::size_t kLength = 2048;
  if (crypt_key.size() >= kLength) return std::string(crypt_key);
  const std::size_t pad = kLength - crypt_key.size();
  const std::size_t left = pad / 2;
  std::string out(left, '&');
  out.append(crypt_key);
  out.append(pad - left, '&');
  return out;
}

Keys GenerateKeys(Random& random) {
  Keys k;
  k.secret_key = RandomBytes(random, kKeyBytes);
  k.seal_key = RandomBytes(random, kKeyBytes);
  k.jwt_keys.push_back({"1", RandomBytes(random, kKeyBytes)});
  return k;
}

Status ValidateKeys(const Keys& keys) {
  if (keys.secret_key.size() != kKeyBytes) {
    return Status(Code::kInvalidInput, "secret_key must be 32 bytes");
  }
  if (keys.seal_key.size() != kKeyBytes) {
    return Status(Code::kInvalidInput, "seal_key must be 32 bytes");
  }
  if (keys.jwt_keys.empty()) return Status(Code::kInvalidInput, "no JWT key");
  std::set<std::string> kids;
  for (const auto& k : keys.jwt_keys) {
    if (!ValidKid(k.kid)) {
      return Status(Code::kInvalidInput,
                    "JWT key id '" + k.kid + "' must be 1-64 characters of [A-Za-z0-9._-]");
    }
    if (!kids.insert(k.kid).second) {
      return Status(Code::kInvalidInput, "JWT key id '" + k.kid + "' appears twice");
    }
    if (k.secret.size() < kKeyBytes) {
      return Status(Code::kInvalidInput, "JWT key '" + k.kid + "' is shorter than 32 bytes");
    }
  }
  return Status::Ok();
}

Result<Keys> LoadKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Status(Code::kNotFound, "key file " + path + " does not exist");
    }
    return Status(Code::kInvalidInput,
                  "key file " + path + " cannot be read: " + std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Invalid(path, "not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    close(fd);
    return Status(Code::kForbidden,
                  "key file " + path + " is readable by group or others; chmod 600 it");
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (1 << 20)) break;
  }
  close(fd);
  if (n < 0) return Invalid(path, std::string("read failed: ") + std::strerror(errno));
  if (text.size() > (1 << 20)) return Invalid(path, "larger than 1 MiB");

  auto parsed = internal::ParseJsonChecked(text, "the text");
  sodium_memzero(text.data(), text.size());
  if (!parsed.ok()) return Invalid(path, parsed.status().message());
  nlohmann::json j = std::move(parsed).value();
  if (!j.is_object()) return Invalid(path, "not a JSON object");
  if (!j.contains("version") || j["version"] != 1) return Invalid(path, "unsupported version");
  Keys keys;
  auto bytes = [&](const char* name, std::string& out) -> Status {
    if (!j.contains(name) || !j[name].is_string()) return Invalid(path, std::string("no ") + name);
    auto d = internal::Base64Decode(j[name].get<std::string>());
    if (!d) return Invalid(path, std::string(name) + " is not base64");
    out = std::move(*d);
    return Status::Ok();
  };
  CUSTAUTH_RETURN_IF_ERROR(bytes("secret_key", keys.secret_key));
  CUSTAUTH_RETURN_IF_ERROR(bytes("seal_key", keys.seal_key));
  if (!j.contains("jwt_keys") || !j["jwt_keys"].is_array()) return Invalid(path, "no jwt_keys");
  for (const auto& e : j["jwt_keys"]) {
    if (!e.is_object() || !e.contains("kid") || !e["kid"].is_string()) {
      return Invalid(path, "a jwt_keys entry has no kid");
    }
    JwtKey k;
    k.kid = e["kid"].get<std::string>();
    if (e.contains("secret") && e["secret"].is_string()) {
      auto d = internal::Base64Decode(e["secret"].get<std::string>());
      if (!d) return Invalid(path, "JWT key '" + k.kid + "' secret is not base64");
      k.secret = std::move(*d);
    } else if (e.contains("platform_crypt_key") && e["platform_crypt_key"].is_string()) {
      k.secret = PlatformJwtSecret(e["platform_crypt_key"].get<std::string>());
    } else {
      return Invalid(path, "JWT key '" + k.kid + "' has neither secret nor platform_crypt_key");
    }
    keys.jwt_keys.push_back(std::move(k));
  }
  Status valid = ValidateKeys(keys);
  if (!valid.ok()) return Invalid(path, valid.message());
  return keys;
}

Status SaveKeyFile(const std::string& path, const Keys& keys, bool overwrite) {
  CUSTAUTH_RETURN_IF_ERROR(ValidateKeys(keys));
  if (!overwrite && access(path.c_str(), F_OK) == 0) {
    return Status(Code::kAlreadyExists, "key file " + path + " already exists");
  }
  nlohmann::json j;
  j["version"] = 1;
  j["secret_key"] = internal::Base64Encode(keys.secret_key);
  j["seal_key"] = internal::Base64Encode(keys.seal_key);
  j["jwt_keys"] = nlohmann::json::array();
  for (const auto& k : keys.jwt_keys) {
    j["jwt_keys"].push_back({{"kid", k.kid}, {"secret", internal::Base64Encode(k.secret)}});
  }
  std::string text = j.dump(2) + "\n";
  const std::string tmp = path + ".tmp";
  auto failed = [&](const std::string& what, int err) {
    return Status(Code::kStorage, "cannot " + what + ": " + std::strerror(err));
  };
  // O_EXCL | O_NOFOLLOW: a file or symbolic link already at `tmp` (planted there, or left by an
  // interrupted write) is refused, never written through. 0600 whatever the umask (fchmod).
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    sodium_memzero(text.data(), text.size());
    if (err == EEXIST) {
      return Status(Code::kStorage, "cannot write key file " + tmp +
                                        ": it already exists (left by an interrupted write, or "
                                        "planted); check and remove it");
    }
    return failed("write key file " + tmp, err);
  }
  int err = 0;
  if (fchmod(fd, 0600) != 0) err = errno;
  for (std::size_t done = 0; err == 0 && done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  sodium_memzero(text.data(), text.size());
  if (err != 0) {
    unlink(tmp.c_str());
    return failed("write key file " + tmp, err);
  }
  if (!overwrite) {
    // link() fails if the target exists: no race between the check above and this.
    if (link(tmp.c_str(), path.c_str()) != 0) {
      err = errno;
      unlink(tmp.c_str());
      if (err == EEXIST)
        return Status(Code::kAlreadyExists, "key file " + path + " already exists");
      return failed("create key file " + path, err);
    }
    if (unlink(tmp.c_str()) != 0) return failed("remove " + tmp, errno);
  } else if (rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    unlink(tmp.c_str());
    return failed("replace key file " + path, err);
  }
  // The new name is durable once its directory is.
  const std::string::size_type slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return failed("open directory " + dir, errno);
  err = fsync(dir_fd) != 0 ? errno : 0;
  close(dir_fd);
  if (err != 0) return failed("sync directory " + dir, err);
  return Status::Ok();
}

Result<JwtKey> PlatformJwtKey(std::string_view crypt_key_setting) {
  std::string_view last;
  std::size_t at = 0;
  while (at < crypt_key_setting.size()) {
    while (at < crypt_key_setting.size() &&
           std::isspace(static_cast<unsigned char>(crypt_key_setting[at])) != 0) {
      ++at;
    }
    const std::size_t start = at;
    while (at < crypt_key_setting.size() &&
           std::isspace(static_cast<unsigned char>(crypt_key_setting[at])) == 0) {
      ++at;
    }
    if (at > start) last = crypt_key_setting.substr(start, at - start);
  }
  if (last.empty()) {
    return Status(Code::kInvalidInput, "The platform's crypt key setting holds no key");
  }
  return JwtKey{"1", PlatformJwtSecret(last)};
}

std::string DefaultKeyFilePath(const std::string& database_path) {
  const std::string_view ext = ".db";
  if (database_path.size() > ext.size() &&
      database_path.compare(database_path.size() - ext.size(), ext.size(), ext) == 0) {
    return database_path.substr(0, database_path.size() - ext.size()) + ".key";
  }
  return database_path + ".key";
}

}  // namespace custauth
