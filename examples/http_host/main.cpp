// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// custauth-http-host: a reference HTTP host for custauth on cpp-httplib (Debian's
// libcpp-httplib-dev). It serves
//
//   POST /graphql  {"query": "mutation { … }", "variables": {…}?, "operationName": …?}
//                  custauth's six mutations (custauth/graphql.h), several in one document
//                  answered in order; 200 with the GraphQL response, as the platform answers
//   GET  /me       Authorization: Bearer <customer token> -> {"id": …, "email": …}, or the
//                  GraphQL error with graphql::HttpStatusFor's status (401 and
//                  WWW-Authenticate: Bearer for a missing, invalid or revoked token)
//   GET  /health   a static body ({"status":"ok"}), for readiness checks and benchmarks
//
// usage: custauth-http-host --db PATH [--key-file F] --listen 127.0.0.1:PORT [--behind-proxy]
//
// PORT 0 picks a free port. The host prints "listening on HOST:PORT" on stdout once it accepts
// connections and stops on SIGINT or SIGTERM. --key-file defaults to the key file beside the
// database (custauth's CLI writes it with `custauth --db PATH init`). --behind-proxy takes the URL
// an OAuth client signed from X-Forwarded-Proto / X-Forwarded-Host: only behind a proxy that
// sets them, or anyone could choose the URL their signature is checked against.
//
// This is an example: it serves plain HTTP on the address it is given. Serve customers over
// HTTPS only (a TLS terminator in front, with --behind-proxy).
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "custauth/auth.h"
#include "custauth/graphql.h"
#include "custauth/keys.h"
#include "custauth/sqlite_storage.h"
#include "document.h"

namespace {

namespace graphql = custauth::graphql;
using custauth::Code;
using custauth::Status;

constexpr char kJson[] = "application/json";
constexpr std::size_t kMaxBody = 1 << 20;
constexpr std::size_t kThreads = 64;

struct Options {
  std::string db;
  std::string key_file;
  std::string host;
  int port = -1;
  bool behind_proxy = false;
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "custauth-http-host: " << why
            << "\nusage: custauth-http-host --db PATH [--key-file F] --listen 127.0.0.1:PORT "
               "[--behind-proxy]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--db") {
      o.db = value();
    } else if (a == "--key-file") {
      o.key_file = value();
    } else if (a == "--listen") {
      const std::string l = value();
      const auto colon = l.rfind(':');
      if (colon == std::string::npos || colon == 0) Usage("--listen takes HOST:PORT");
      o.host = l.substr(0, colon);
      const std::string port = l.substr(colon + 1);
      if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos) {
        Usage("--listen: bad port");
      }
      o.port = std::stoi(port);
      if (o.port > 65535) Usage("--listen: bad port");
    } else if (a == "--behind-proxy") {
      o.behind_proxy = true;
    } else {
      Usage("unknown argument " + a);
    }
  }
  if (o.db.empty()) Usage("--db is required");
  if (o.port < 0) Usage("--listen is required");
  if (o.key_file.empty()) o.key_file = custauth::DefaultKeyFilePath(o.db);
  return o;
}

// The token of "Authorization: Bearer <token>" (the scheme is case-insensitive); "" otherwise.
std::string BearerToken(const httplib::Request& req) {
  const std::string h = req.get_header_value("Authorization");
  if (h.size() < 7) return {};
  std::string scheme = h.substr(0, 7);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return {};
  const auto start = h.find_first_not_of(' ', 7);
  return start == std::string::npos ? std::string() : h.substr(start);
}

custauth::RequestContext Context(const httplib::Request& req) {
  custauth::RequestContext ctx;
  ctx.client_ip = req.remote_addr;
  ctx.user_agent = req.get_header_value("User-Agent").substr(0, 512);
  return ctx;
}

class Host {
 public:
  Host(std::unique_ptr<custauth::CustomerAuth> auth, bool behind_proxy)
      : auth_(std::move(auth)), behind_proxy_(behind_proxy) {}

  // GET /me: the customer the bearer token names.
  void Me(const httplib::Request& req, httplib::Response& res) {
    auto customer = graphql::CurrentCustomer(*auth_, BearerToken(req));
    if (!customer.ok()) return Error(res, customer.status());
    res.set_content(nlohmann::json({{"id", customer->id}, {"email", customer->email}}).dump(),
                    kJson);
  }

  // POST /graphql.
  void GraphQL(const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json request = nlohmann::json::parse(req.body, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      return Error(res, Status(Code::kInvalidInput,
                               "The request body must be a JSON object {\"query\": …}: other "
                               "bodies are not supported by this host"));
    }
    for (const auto& [k, v] : request.items()) {
      if (k != "query" && k != "variables" && k != "operationName") {
        return Error(res, Status(Code::kInvalidInput,
                                 "The request member \"" + k + "\" is not supported by this host"));
      }
    }
    if (!request.contains("query") || !request["query"].is_string()) {
      return Error(res, Status(Code::kInvalidInput, "The request has no \"query\" string"));
    }
    const nlohmann::json variables = request.value("variables", nlohmann::json());
    http_host::Document doc;
    std::string why;
    if (!http_host::ParseDocument(request["query"].get<std::string>(), variables, &doc, &why)) {
      // A document the host cannot run is refused as a whole, before anything runs.
      res.set_content(graphql::ErrorResponse(Status(Code::kInvalidInput, why)), kJson);
      return;
    }
    const custauth::RequestContext ctx = Context(req);
    std::vector<graphql::Answer> answers;
    for (const auto& m : doc.mutations) {
      answers.push_back(Run(req, m, ctx));
    }
    res.set_content(graphql::CombineAnswers(answers), kJson);
  }

 private:
  graphql::Answer Run(const httplib::Request& req, const http_host::MutationField& m,
                      const custauth::RequestContext& ctx) {
    auto arg = [&](const char* name) { return m.arguments.at(name).get<std::string>(); };
    if (m.name == "generateCustomerToken") {
      return graphql::GenerateCustomerToken(*auth_, arg("email"), arg("password"), m.field, ctx);
    }
    if (m.name == "revokeCustomerToken") {
      return graphql::RevokeCustomerToken(*auth_, BearerToken(req), m.field, ctx);
    }
    if (m.name == "requestPasswordResetEmail") {
      graphql::Answer a = graphql::RequestPasswordResetEmail(*auth_, arg("email"), m.field, ctx);
      // A shop mails a.reset_token to the customer here; this example has no mailer.
      return a;
    }
    if (m.name == "resetPassword") {
      return graphql::ResetPassword(*auth_, arg("email"), arg("resetPasswordToken"),
                                    arg("newPassword"), m.field, ctx);
    }
    if (m.name == "changeCustomerPassword") {
      return graphql::ChangeCustomerPassword(*auth_, BearerToken(req), arg("currentPassword"),
                                             arg("newPassword"), m.field, ctx);
    }
    // exchangeExternalCustomerToken: the request as the client signed it (README, "wiring a
    // host's HTTP request"): its method, the absolute URL it addressed, the raw Authorization
    // and Content-Type headers and the raw body, which `input` was taken from.
    custauth::HttpRequest r;
    r.method = req.method;
    r.url = ClientUrl(req);
    r.authorization = req.get_header_value("Authorization");
    r.content_type = req.get_header_value("Content-Type");
    r.body = req.body;
    return graphql::ExchangeExternalCustomerToken(*auth_, r, m.arguments.at("input").dump(),
                                                  m.field, ctx);
  }

  // The URL the client addressed: its scheme and Host (the proxy's X-Forwarded-* with
  // --behind-proxy) and the request target exactly as sent (path and query, not decoded).
  std::string ClientUrl(const httplib::Request& req) const {
    std::string scheme = "http";
    std::string host = req.get_header_value("Host");
    if (behind_proxy_) {
      if (req.has_header("X-Forwarded-Proto")) scheme = req.get_header_value("X-Forwarded-Proto");
      if (req.has_header("X-Forwarded-Host")) host = req.get_header_value("X-Forwarded-Host");
    }
    return scheme + "://" + host + req.target;
  }

  static void Error(httplib::Response& res, const Status& s) {
    res.status = graphql::HttpStatusFor(s.code());
    if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer");
    res.set_content(graphql::ErrorResponse(s), kJson);
  }

  std::unique_ptr<custauth::CustomerAuth> auth_;
  bool behind_proxy_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  // SIGINT and SIGTERM are taken by one thread (sigwait), which stops the server: every other
  // thread, the server's pool included, inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto keys = custauth::LoadKeyFile(o.key_file);
  if (!keys.ok()) {
    std::cerr << "custauth-http-host: " << keys.status().to_string() << "\n";
    return 1;
  }
  auto storage = custauth::OpenSqliteStorage(o.db);
  if (!storage.ok()) {
    std::cerr << "custauth-http-host: " << storage.status().to_string() << "\n";
    return 1;
  }
  custauth::AuthOptions options;
  options.keys = std::move(keys).value();
  auto auth = custauth::CustomerAuth::Open(std::move(storage).value(), std::move(options));
  if (!auth.ok()) {
    std::cerr << "custauth-http-host: " << auth.status().to_string() << "\n";
    return 1;
  }
  Host host(std::move(auth).value(), o.behind_proxy);

  httplib::Server server;
  // Without it, Nagle's algorithm holds small responses back for ~40 ms on keep-alive connections.
  server.set_tcp_nodelay(true);
  server.set_payload_max_length(kMaxBody);
  // cpp-httplib closes a keep-alive connection after 5 requests by default, and its pool has
  // max(8, cores - 1) threads, each held by an open connection: a client on 8 connections would
  // reconnect every 5 requests and wait for a free thread. 64 threads, 10,000 requests each.
  server.set_keep_alive_max_count(10000);
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server.Post("/graphql",
              [&](const httplib::Request& req, httplib::Response& res) { host.GraphQL(req, res); });
  server.Get("/me",
             [&](const httplib::Request& req, httplib::Response& res) { host.Me(req, res); });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", kJson);
  });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    res.set_content(
        graphql::ErrorResponse(Status(
            Code::kInvalidInput, req.method + " " + req.path + " is not supported by this host")),
        kJson);
  });

  int port = o.port;
  if (port == 0) {
    port = server.bind_to_any_port(o.host);
    if (port < 0) {
      std::cerr << "custauth-http-host: cannot listen on " << o.host << "\n";
      return 1;
    }
  } else if (!server.bind_to_port(o.host, port)) {
    std::cerr << "custauth-http-host: cannot listen on " << o.host << ":" << port << "\n";
    return 1;
  }
  std::thread([&server, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  }).detach();
  std::cout << "listening on " << o.host << ":" << port << std::endl;
  return server.listen_after_bind() ? 0 : 1;
}
