// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// The core types and the customer rules: Status and Result, clocks and random sources, email
// validation, names and the password policy.
#include "custauth/customer.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/clock.h"
#include "custauth/status.h"
#include "custauth/version.h"
#include "internal.h"

namespace customer_test {

using namespace custauth;

TEST_CASE("Status carries a stable code and the message") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.code() == Code::kOk);
  CHECK(ok.message().empty());
  CHECK(ok.to_string() == "ok");

  Status s(Code::kAuthenticationFailed, msg::kSignInIncorrect);
  CHECK_FALSE(s.ok());
  CHECK(s.raw_code() == -4);
  CHECK(s.message() == std::string(msg::kSignInIncorrect));
  CHECK(s.to_string().rfind("authentication_failed: The account sign-in", 0) == 0);
}

TEST_CASE("Codes are stable numbers with names and GraphQL categories") {
  // These numbers are the ABI: a change here breaks every host.
  CHECK(static_cast<int>(Code::kInvalidInput) == -1);
  CHECK(static_cast<int>(Code::kNotFound) == -2);
  CHECK(static_cast<int>(Code::kAlreadyExists) == -3);
  CHECK(static_cast<int>(Code::kAuthenticationFailed) == -4);
  CHECK(static_cast<int>(Code::kNotConfirmed) == -5);
  CHECK(static_cast<int>(Code::kLocked) == -6);
  CHECK(static_cast<int>(Code::kExpired) == -7);
  CHECK(static_cast<int>(Code::kForbidden) == -8);
  CHECK(static_cast<int>(Code::kRateLimited) == -9);
  CHECK(static_cast<int>(Code::kUnsupported) == -10);
  CHECK(static_cast<int>(Code::kStorage) == -11);
  CHECK(static_cast<int>(Code::kBusy) == -12);
  CHECK(static_cast<int>(Code::kConflict) == -13);
  CHECK(static_cast<int>(Code::kInternal) == -14);
  CHECK(static_cast<int>(Code::kInvalidToken) == -15);
  std::set<std::string> names;
  for (int c = 0; c >= -15; --c) {
    names.insert(code_name(static_cast<Code>(c)));
    CHECK(code_category(static_cast<Code>(c)) != nullptr);
  }
  CHECK(names.size() == 16);
  CHECK(std::string(code_name(static_cast<Code>(-99))) == "unknown");
  CHECK(std::string(code_category(Code::kInvalidInput)) == "graphql-input");
  CHECK(std::string(code_category(Code::kAuthenticationFailed)) == "graphql-authentication");
  CHECK(std::string(code_category(Code::kForbidden)) == "graphql-authorization");
  CHECK(std::string(code_category(Code::kNotFound)) == "graphql-no-such-entity");
}

TEST_CASE("Result holds a value or a failure, never an OK status without a value") {
  Result<int> v = 42;
  REQUIRE(v.ok());
  CHECK(*v == 42);
  CHECK(v.status().ok());
  CHECK(v.code() == Code::kOk);

  Result<std::string> e = Status(Code::kNotFound, "gone");
  REQUIRE_FALSE(e.ok());
  CHECK(e.code() == Code::kNotFound);
  CHECK(e.status().message() == "gone");

  Result<std::string> moved = std::string("abc");
  std::string taken = std::move(moved).value();
  CHECK(taken == "abc");
}

TEST_CASE("Version macros match the runtime") {
  CHECK(std::string(VersionString()) == CUSTAUTH_VERSION_STRING);
  CHECK(VersionNumber() == CUSTAUTH_VERSION_NUMBER);
  CHECK(VersionNumber() ==
        CUSTAUTH_VERSION_MAJOR * 1000000 + CUSTAUTH_VERSION_MINOR * 1000 + CUSTAUTH_VERSION_PATCH);
}

TEST_CASE("ManualClock moves only when told, from many threads") {
  ManualClock clock(1000);
  CHECK(clock.now() == 1000);
  clock.advance(30 * kSecond);
  CHECK(clock.now() == 31000);
  clock.set(5);
  CHECK(clock.now() == 5);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) clock.advance(1);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(clock.now() == 8005);
}

TEST_CASE("SystemClock reads the wall clock in milliseconds") {
  const TimeMs t = SystemClock().now();
  CHECK(t > 1'700'000'000'000);  // after 2023
  CHECK(t < 4'102'444'800'000);  // before 2100
}

TEST_CASE("SeededRandom is reproducible; SystemRandom is not") {
  SeededRandom a(7), b(7), c(8);
  std::uint8_t x[32], y[32], z[32];
  a.fill(x);
  b.fill(y);
  c.fill(z);
  CHECK(std::equal(std::begin(x), std::end(x), std::begin(y)));
  CHECK_FALSE(std::equal(std::begin(x), std::end(x), std::begin(z)));
  // Successive draws differ.
  a.fill(x);
  CHECK_FALSE(std::equal(std::begin(x), std::end(x), std::begin(y)));

  SystemRandom r;
  std::uint8_t p[32], q[32];
  r.fill(p);
  r.fill(q);
  CHECK_FALSE(std::equal(std::begin(p), std::end(p), std::begin(q)));

  for (int i = 0; i < 1000; ++i) CHECK(r.uniform(10) < 10u);
  CHECK(r.uniform(1) == 0u);
}

TEST_CASE("Valid emails") {
  const char* ok[] = {
      "roni_cost@example.com",
      "bobloblaw@example.com",
      "Roni.Cost@Example.COM",
      "a@b.co",
      "first.last+tag@sub.domain.example.org",
      "o'brien@example.ie",
      "x!#$%&'*+/=?^_`{|}~-y@example.com",
      "user@xn--bcher-kva.example",
      "user@my-shop.example",
      "1234567890123456789012345678901234567890123456789012345678901234@example.com",
  };
  for (const char* e : ok) {
    INFO(e);
    CHECK(IsValidEmail(e));
    CHECK(ValidateEmail(e).ok());
  }
}

TEST_CASE("Invalid emails are refused with the platform's message") {
  const std::string long_local(65, 'a');
  const std::string long_label(64, 'a');
  const std::string long_email = std::string(64, 'a') + "@" + std::string(186, 'b') + ".com";
  REQUIRE(long_email.size() == 255);
  CHECK(IsValidEmail(long_email) == false);  // a 186-byte label is longer than 63
  const std::string too_long = std::string(60, 'a') + "@" + std::string(60, 'b') + "." +
                               std::string(60, 'c') + "." + std::string(60, 'd') + "." +
                               std::string(9, 'e') + ".com";
  REQUIRE(too_long.size() == 257);
  const std::string longest = std::string(60, 'a') + "@" + std::string(60, 'b') + "." +
                              std::string(60, 'c') + "." + std::string(60, 'd') + "." +
                              std::string(7, 'e') + ".com";
  REQUIRE(longest.size() == 255);
  CHECK(IsValidEmail(longest));
  const std::string bad[] = {
      "",
      "plainaddress",
      "@example.com",
      "user@",
      "user@localhost",
      "user@example",
      "user@example.c",
      "user@example.123",
      "user@@example.com",
      "us@er@example.com",
      "user name@example.com",
      "user@exa mple.com",
      ".user@example.com",
      "user.@example.com",
      "us..er@example.com",
      "user@-example.com",
      "user@example-.com",
      "user@example..com",
      "user@.example.com",
      "user@example.com.",
      "user@[127.0.0.1]",
      "\"quoted\"@example.com",
      std::string("us\0er@example.com", 17),
      "user\r\n@example.com",
      "user\t@example.com",
      "usér@example.com",
      "user@exämple.com",
      long_local + "@example.com",
      "user@" + long_label + ".com",
      too_long,
      "user@example.com\n",
      "user;DROP TABLE customers@example.com",
  };
  for (const auto& e : bad) {
    INFO(e);
    CHECK_FALSE(IsValidEmail(e));
    Status s = ValidateEmail(e);
    CHECK(s.code() == Code::kInvalidInput);
    CHECK(s.message() == "\"Email\" is not a valid email address.");
  }
}

TEST_CASE("EmailKey folds ASCII case only") {
  CHECK(EmailKey("Roni.Cost@Example.COM") == "roni.cost@example.com");
  CHECK(EmailKey("already@lower.case") == "already@lower.case");
}

TEST_CASE("Password policy: the platform's defaults") {
  PasswordPolicy p;
  CHECK(CheckPasswordPolicy("Password123", p).ok());
  CHECK(CheckPasswordPolicy("b0bl0bl@w", p).ok());  // lower, digit, other
  CHECK(CheckPasswordPolicy("ABCdef12", p).ok());   // exactly 8

  Status short_pw = CheckPasswordPolicy("Ab1!", p);
  CHECK(short_pw.code() == Code::kInvalidInput);
  CHECK(short_pw.message() ==
        "The password needs at least 8 characters. Create a new password and try again.");

  Status classes = CheckPasswordPolicy("abcdefgh12", p);
  CHECK(classes.code() == Code::kInvalidInput);
  CHECK(classes.message() ==
        "Minimum of different classes of characters in password is 3. Classes of characters: "
        "Lower Case, Upper Case, Digits, Special Characters.");
  CHECK(CheckPasswordPolicy("abcdefghij", p).code() == Code::kInvalidInput);

  Status long_pw = CheckPasswordPolicy(std::string(257, 'a') + "A1", p);
  CHECK(long_pw.code() == Code::kInvalidInput);
  CHECK(long_pw.message() == "Please enter a password with at most 256 characters.");
  CHECK(CheckPasswordPolicy(std::string(250, 'a') + "A1!", p).ok());
  CHECK(CheckPasswordPolicy(std::string(1 << 20, 'a'), p).message() ==
        "Please enter a password with at most 256 characters.");

  CHECK(CheckPasswordPolicy(" Password123", p).code() == Code::kInvalidInput);
  CHECK(CheckPasswordPolicy("Password123 ", p).message() ==
        "The password can't begin or end with a space. Verify the password and try again.");

  Status same = CheckPasswordPolicy("Roni1@Example.com", p, "roni1@example.com");
  CHECK(same.code() == Code::kInvalidInput);
  CHECK(same.message() ==
        "The password can't be the same as the email address. Create a new password and try "
        "again.");
}

TEST_CASE("Password policy is configurable") {
  PasswordPolicy p;
  p.min_length = 12;
  p.required_classes = 4;
  CHECK(CheckPasswordPolicy("Password123!", p).ok());
  CHECK(CheckPasswordPolicy("Password1234", p).message().find("is 4.") != std::string::npos);
  CHECK(CheckPasswordPolicy("Pass123!", p).message() ==
        "The password needs at least 12 characters. Create a new password and try again.");
  p.required_classes = 0;
  p.min_length = 1;
  CHECK(CheckPasswordPolicy("a", p).ok());
}

TEST_CASE("Names: required, bounded, printable UTF-8") {
  CHECK(ValidateName("Roni", "First Name").ok());
  CHECK(ValidateName("Zoë Ørsted-Łukasz 王", "Last Name").ok());
  CHECK(ValidateName("", "First Name").message() == "\"First Name\" is a required value.");
  CHECK(ValidateName("   ", "Last Name").message() == "\"Last Name\" is a required value.");
  CHECK(ValidateName(std::string(256, 'a'), "First Name").code() == Code::kInvalidInput);
  CHECK(ValidateName(std::string(255, 'a'), "First Name").ok());
  CHECK(ValidateName("Ro\nni", "First Name").code() == Code::kInvalidInput);
  CHECK(ValidateName(std::string("Ro\0ni", 5), "First Name").code() == Code::kInvalidInput);
  CHECK(ValidateName("\xC3\x28", "First Name").code() == Code::kInvalidInput);      // bad UTF-8
  CHECK(ValidateName("\xC0\xAF", "First Name").code() == Code::kInvalidInput);      // overlong
  CHECK(ValidateName("\xED\xA0\x80", "First Name").code() == Code::kInvalidInput);  // surrogate
  CHECK(ValidateName("\xF4\x90\x80\x80", "First Name").code() == Code::kInvalidInput);
}

TEST_CASE("UTF-8 validation") {
  CHECK(internal::IsValidUtf8(""));
  CHECK(internal::IsValidUtf8("plain"));
  CHECK(internal::IsValidUtf8("\xF0\x9F\x98\x80"));    // U+1F600
  CHECK_FALSE(internal::IsValidUtf8("\xF0\x9F\x98"));  // truncated
  CHECK_FALSE(internal::IsValidUtf8("\x80"));
  CHECK_FALSE(internal::IsValidUtf8("\xFF"));
}

}  // namespace customer_test
