// Agent: setting up a terminal and opening it. See agent.h.
#include <yaml-cpp/yaml.h>

#include "agent/agent.h"
#include "common/crypto/curve.h"

namespace tayori::agent {
namespace {

// The CA the broker trusts, asked for once at set-up when none was given
// and pinned from then on.
StatusOr<std::string> CaFromBroker(const AgentConfig& config, const crypto::CurveKeyPair& curve) {
  wire::ClientOptions co;
  co.endpoint = config.broker;
  co.server_key = config.broker_key;
  co.public_key = curve.public_z85;
  co.secret_key = curve.secret_z85;
  co.deadline_ms = config.timeout_s * 1000;
  ASSIGN_OR_RETURN(auto client, wire::Client::Connect(co));
  pb::Request req;
  req.mutable_get_trust();
  ASSIGN_OR_RETURN(wire::Reply reply, client->Call(req));
  ASSIGN_OR_RETURN(crypto::Certificate ca, crypto::Certificate::FromDer(reply.response.trust().ca_cert_der()));
  return ca.Pem();
}

StatusOr<std::string> ReadGiven(Env* env, const std::string& path, const std::string& what) {
  auto text = env->ReadFile(path);
  if (!text.ok()) return InvalidArgument("file_unreadable", what + " " + path);
  return text;
}

// The broker's endpoint and key: given as such, or read from the broker.info
// file the operator handed out (so that no shell has to pass the key, whose
// Z85 letters include % ! & < > ^).
Status BrokerAddress(const InitOptions& o, Env* env, std::string* endpoint, std::string* key) {
  if (o.broker_info.empty()) {
    if (o.broker.empty() || o.broker_key.empty()) {
      return InvalidArgument("usage", "give --broker-info FILE, or both --broker and --broker-key");
    }
    if (!wire::ConnectableEndpoint(o.broker)) {
      return InvalidArgument("usage", "--broker must be tcp://HOST:PORT with the broker's name or address");
    }
    *endpoint = o.broker;
    *key = o.broker_key;
    return Status::Ok();
  }
  if (!o.broker.empty() || !o.broker_key.empty()) {
    return InvalidArgument("usage", "give --broker-info FILE or --broker and --broker-key, not both");
  }
  auto text = env->ReadFile(o.broker_info);
  if (!text.ok()) return InvalidArgument("broker_info_invalid", "cannot read " + o.broker_info);
  try {
    const YAML::Node n = YAML::Load(*text);
    if (!n.IsMap() || !n["endpoint"] || !n["public_key"] || !n["endpoint"].IsScalar() || !n["public_key"].IsScalar()) {
      return InvalidArgument("broker_info_invalid", o.broker_info + " has no endpoint and public_key");
    }
    *endpoint = n["endpoint"].Scalar();
    *key = n["public_key"].Scalar();
  } catch (const YAML::Exception& e) {
    return InvalidArgument("broker_info_invalid", o.broker_info + " is not a broker.info file: " + e.what());
  }
  if (!crypto::Z85Decode32(*key).ok()) {
    return InvalidArgument("broker_info_invalid", o.broker_info + ": public_key is not a 40-character Z85 key");
  }
  if (!wire::ConnectableEndpoint(*endpoint)) {
    return InvalidArgument("broker_info_no_address", o.broker_info + ": endpoint " + *endpoint +
                                                         " is no address to connect to; the operator sets "
                                                         "public_endpoint in broker.yaml");
  }
  return Status::Ok();
}

// The certificate, key and CA given, if they are those HOME's terminal was
// set up with.
Status SameIdentity(const InitOptions& o, Env* env) {
  auto own = TerminalKeys::Load(o.home, env);
  if (!own.ok()) {
    return FailedPrecondition("terminal_keys_damaged",
                              "cannot load the keys of " + o.home + ": " + own.status().ToString());
  }
  ASSIGN_OR_RETURN(std::string cert_pem, ReadGiven(env, o.cert_path, "certificate"));
  ASSIGN_OR_RETURN(std::string key_pem, ReadGiven(env, o.key_path, "private key"));
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromPem(cert_pem));
  ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::FromPem(key_pem));
  RETURN_IF_ERROR(key.CheckMatches(cert));
  if (cert.Der() != own->cert->Der()) {
    return Status(Code::kAlreadyExists, "other_certificate",
                  o.home + " is set up with another certificate; init --force replaces it (new terminal keys)");
  }
  if (!o.ca_path.empty()) {
    ASSIGN_OR_RETURN(std::string ca_pem, ReadGiven(env, o.ca_path, "CA certificate"));
    ASSIGN_OR_RETURN(crypto::Certificate ca, crypto::Certificate::FromPem(ca_pem));
    ASSIGN_OR_RETURN(crypto::Certificate pinned, crypto::Certificate::FromPem(own->ca_pem));
    if (ca.Der() != pinned.Der()) {
      return Status(Code::kAlreadyExists, "other_certificate",
                    o.home + " pins another CA; init --force replaces it (new terminal keys)");
    }
  }
  return Status::Ok();
}

}  // namespace

Status Agent::SetBroker(const InitOptions& o, Env* env) {
  std::string broker, broker_key;
  RETURN_IF_ERROR(BrokerAddress(o, env, &broker, &broker_key));
  RETURN_IF_ERROR(SameIdentity(o, env));
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(o.home + "/agent.yaml"));
  ASSIGN_OR_RETURN(AgentConfig config, ParseAgentConfig(text));
  // A list of brokers sharing one store that already holds this one stays.
  const std::string listed = "," + config.broker + ",";
  if (listed.find("," + broker + ",") == std::string::npos) config.broker = broker;
  config.broker_key = broker_key;
  return env->WriteFileAtomic(o.home + "/agent.yaml", FormatAgentConfig(config), 0600);
}

Status Agent::Init(const InitOptions& o, Env* env) {
  if (env->FileExists(o.home + "/agent.yaml") && !o.force) {
    return Status(Code::kAlreadyExists, "already_set_up", o.home + " is already set up; pass --force to replace it");
  }
  std::string broker, broker_key;
  RETURN_IF_ERROR(BrokerAddress(o, env, &broker, &broker_key));
  KeyFiles files;
  ASSIGN_OR_RETURN(files.cert_pem, ReadGiven(env, o.cert_path, "certificate"));
  ASSIGN_OR_RETURN(files.key_pem, ReadGiven(env, o.key_path, "private key"));
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromPem(files.cert_pem));
  ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::FromPem(files.key_pem));
  RETURN_IF_ERROR(key.CheckMatches(cert));
  ASSIGN_OR_RETURN(crypto::CertInfo info, cert.Info());
  auto broker_raw = crypto::Z85Decode32(broker_key);
  if (!broker_raw.ok()) return InvalidArgument("usage", "--broker-key is not a 40-character Z85 key");

  AgentConfig config;
  config.broker = broker;
  config.broker_key = broker_key;
  config.office = info.office;
  config.user_id = info.user_id;
  RETURN_IF_ERROR(ParseAgentConfig(FormatAgentConfig(config)).status());

  ASSIGN_OR_RETURN(crypto::CurveKeyPair curve, crypto::NewCurveKeyPair());
  files.curve_secret_z85 = curve.secret_z85;
  if (!o.ca_path.empty()) {
    ASSIGN_OR_RETURN(files.ca_pem, ReadGiven(env, o.ca_path, "CA certificate"));
  } else {
    ASSIGN_OR_RETURN(files.ca_pem, CaFromBroker(config, curve));
  }
  ASSIGN_OR_RETURN(crypto::TrustStore trust, crypto::TrustStore::FromPem(files.ca_pem, ""));
  // Refuse proxy, disability, expired and foreign certificates here already.
  RETURN_IF_ERROR(trust.Verify(cert, env->NowSeconds()).status());

  files.e2e = crypto::NewBoxKeyPair();
  RETURN_IF_ERROR(TerminalKeys::Write(o.home, files, env));
  RETURN_IF_ERROR(LocalStore(o.home, env).CreateFolders());
  return env->WriteFileAtomic(o.home + "/agent.yaml", FormatAgentConfig(config), 0600);
}

StatusOr<std::unique_ptr<Agent>> Agent::Open(const std::string& home, Env* env) {
  auto text = env->ReadFile(home + "/agent.yaml");
  if (!text.ok()) return FailedPrecondition("not_initialised", "no " + home + "/agent.yaml");
  ASSIGN_OR_RETURN(AgentConfig config, ParseAgentConfig(*text));
  std::unique_ptr<Agent> agent(new Agent(home, config, env));
  ASSIGN_OR_RETURN(agent->keys_, TerminalKeys::Load(home, env));
  return agent;
}

}  // namespace tayori::agent
