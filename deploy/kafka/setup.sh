#!/usr/bin/env bash
# The platform's Kafka principals, topics and ACLs (docs/kafka-security.md): each producing service
# may write only its own topic, each consumer read only what it consumes. Safe to run again: users get
# their (possibly new) password, existing topics are left as they are, existing ACLs are kept.
#
# docker-compose.yml runs it once, in the `kafka-setup` container, inside the broker's network
# namespace: it talks to the loopback-only PLAINTEXT listener, whose (anonymous) principal is a super
# user, so no admin password is needed to create the first users. Anything that can reach that
# listener can do anything: it must never be published or bound beyond 127.0.0.1.
#
# Environment:
#   DUO_KAFKA_ADMIN_PASSWORD, DUO_<SERVICE>_KAFKA_PASSWORD   SCRAM passwords (no , = [ ] or spaces)
#   DUO_FEDERATION_KAFKA_PASSWORD  optional: the federation's principal, which may read the figures topic
#                              only (docs/adr/0028); unset: no such user
#   KAFKA_SETUP_BOOTSTRAP      the listener to use (default 127.0.0.1:9094)
#   KAFKA_SETUP_COMMAND_CONFIG a client properties file for the tools (--command-config), e.g. an
#                              admin's SASL_SSL settings when run against a real cluster
#   DUO_TOPICS_FILE            deploy/topics.toml as mounted (default /opt/duo/topics.toml)
#   DUO_TOPIC_PREFIX           prefixes topics and consumer groups, as the services do (default none)
#   DUO_TOPIC_REPLICATION_FACTOR  overrides the declared factor, as shared/topics.py does
#   DUO_TOPIC_MIN_INSYNC_REPLICAS sets min.insync.replicas on the topics it creates (production: 2 with a
#                              factor of 3, so an acknowledged write is on two brokers; unset locally)
set -euo pipefail

BOOTSTRAP="${KAFKA_SETUP_BOOTSTRAP:-127.0.0.1:9094}"
TOPICS_FILE="${DUO_TOPICS_FILE:-/opt/duo/topics.toml}"
PREFIX="${DUO_TOPIC_PREFIX:-}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"
CONNECTION=(--bootstrap-server "$BOOTSTRAP")
if [[ -n "${KAFKA_SETUP_COMMAND_CONFIG:-}" ]]; then
  CONNECTION+=(--command-config "$KAFKA_SETUP_COMMAND_CONFIG")
fi
MECHANISM=SCRAM-SHA-512

SERVICES=(intake matching tracking reporting)
# What each consuming service reads, by producing service ("*": every declared topic). A consumer's
# group is named after its service (reporting's IdempotentConsumer is "reporting"); matching and
# tracking get theirs with their consuming issues.
declare -A CONSUMES=(
  [matching]="intake tracking"
  [tracking]="matching"
  [reporting]="*"
)

die() {
  echo "kafka-setup: $*" >&2
  exit 1
}

password_of() {
  local variable=$1 value
  value="${!variable:-}"
  [[ -n "$value" ]] || die "$variable is not set"
  # kafka-configs parses the value as SCRAM-SHA-512=[password=...]: these would break it.
  case "$value" in
    *[],=[]* | *[[:space:]]*) die "$variable may not contain , = [ ] or white space" ;;
  esac
  printf '%s' "$value"
}

# deploy/topics.toml, the one declaration (docs/adr/0003), as lines of
# "name producer partitions replication_factor key=value,key=value". Only the subset the file uses
# is understood ([defaults], [defaults.config], [[topic]], [topic.config], [federation] and its config);
# anything else fails.
declared_topics() {
  awk '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function unquote(s) { if (s ~ /^".*"$/) return substr(s, 2, length(s) - 2); return s }
    function fail(message) { printf "%s line %d: %s\n", FILENAME, FNR, message > "/dev/stderr"; failed = 1; exit 1 }
    function uncomment(s,    i, c, quoted) {
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\"") quoted = !quoted
        else if (c == "#" && !quoted) return substr(s, 1, i - 1)
      }
      return s
    }
    {
      line = trim(uncomment($0))
      if (line == "") next
      if (line == "[defaults]" || line == "[defaults.config]") { section = line; next }
      # [federation] (the figures topic of docs/adr/0028) is a topic like the others here.
      if (line == "[[topic]]" || line == "[federation]") { topics++; section = "[[topic]]"; next }
      if (line == "[topic.config]" || line == "[federation.config]") { if (!topics) fail(line " before any topic"); section = "[topic.config]"; next }
      if (line ~ /^\[/) fail("unsupported table " line)
      eq = index(line, "=")
      if (!eq) fail("expected key = value")
      key = unquote(trim(substr(line, 1, eq - 1)))
      value = unquote(trim(substr(line, eq + 1)))
      if (value ~ /^[\[{]/) fail("arrays and inline tables are not supported here")
      if (section == "[defaults]" && (key == "partitions" || key == "replication_factor")) default_[key] = value
      else if (section == "[defaults.config]") { if (!(key in default_config)) default_keys[++default_count] = key; default_config[key] = value }
      else if (section == "[[topic]]" && (key == "name" || key == "producer" || key == "partitions" || key == "replication_factor")) topic[topics, key] = value
      else if (section == "[topic.config]") { if (!((topics, key) in topic_config)) topic_keys[topics, ++topic_count[topics]] = key; topic_config[topics, key] = value }
      else fail("unexpected key " key " in " (section == "" ? "no table" : section))
    }
    END {
      if (failed) exit 1
      if (!topics) { print FILENAME ": no [[topic]] declared" > "/dev/stderr"; exit 1 }
      for (t = 1; t <= topics; t++) {
        if (!((t, "name") in topic) || !((t, "producer") in topic)) { print FILENAME ": topic " t " needs a name and a producer" > "/dev/stderr"; exit 1 }
        partitions = ((t, "partitions") in topic) ? topic[t, "partitions"] : default_["partitions"]
        replication = ((t, "replication_factor") in topic) ? topic[t, "replication_factor"] : default_["replication_factor"]
        if (partitions !~ /^[0-9]+$/ || replication !~ /^[0-9]+$/) { print FILENAME ": topic " topic[t, "name"] " needs whole partitions and replication_factor" > "/dev/stderr"; exit 1 }
        configs = ""
        for (i = 1; i <= default_count; i++) {
          key = default_keys[i]
          configs = configs (configs == "" ? "" : ",") key "=" (((t, key) in topic_config) ? topic_config[t, key] : default_config[key])
        }
        for (i = 1; i <= topic_count[t]; i++) {
          key = topic_keys[t, i]
          if (!(key in default_config)) configs = configs (configs == "" ? "" : ",") key "=" topic_config[t, key]
        }
        print topic[t, "name"], topic[t, "producer"], partitions, replication, configs
      }
    }
  ' "$TOPICS_FILE"
}

kafka() {
  local tool=$1
  shift
  "$KAFKA_BIN/$tool" "${CONNECTION[@]}" "$@" </dev/null
}

allow() {
  local principal=$1
  shift
  kafka kafka-acls.sh --add --allow-principal "User:$principal" "$@" >/dev/null
}

[[ -r "$TOPICS_FILE" ]] || die "topic declarations not found at $TOPICS_FILE"
# Read and check everything before changing anything: a bad declaration or a missing password changes nothing.
declarations="$(declared_topics)" || die "cannot read $TOPICS_FILE"
declare -A PASSWORDS=()
PASSWORDS[admin]="$(password_of DUO_KAFKA_ADMIN_PASSWORD)" # a plain assignment: a failure stops the script
for service in "${SERVICES[@]}"; do
  PASSWORDS[$service]="$(password_of "DUO_${service^^}_KAFKA_PASSWORD")"
done

declare -A TOPIC_OF=() PARTITIONS=() REPLICATION=() CONFIGS=()
PRODUCERS=()
ALL_TOPICS=()
while read -r name producer partitions replication configs; do
  name="$PREFIX$name"
  TOPIC_OF[$producer]="$name"
  PARTITIONS[$name]="$partitions"
  REPLICATION[$name]="${DUO_TOPIC_REPLICATION_FACTOR:-$replication}"
  CONFIGS[$name]="$configs"
  PRODUCERS+=("$producer")
  ALL_TOPICS+=("$name")
done <<<"$declarations"

declare -A READS=()
for consumer in "${SERVICES[@]}"; do
  case "${CONSUMES[$consumer]:-}" in
    "") ;;
    "*") READS[$consumer]="${ALL_TOPICS[*]}" ;;
    *)
      for producer in ${CONSUMES[$consumer]}; do
        [[ -n "${TOPIC_OF[$producer]:-}" ]] || die "$consumer consumes $producer, which declares no topic"
        READS[$consumer]="${READS[$consumer]:-}${READS[$consumer]:+ }${TOPIC_OF[$producer]}"
      done
      ;;
  esac
done

for name in "${ALL_TOPICS[@]}"; do
  config_args=()
  IFS=, read -r -a pairs <<<"${CONFIGS[$name]}"
  for pair in "${pairs[@]}"; do
    config_args+=(--config "$pair")
  done
  if [[ -n "${DUO_TOPIC_MIN_INSYNC_REPLICAS:-}" ]]; then
    config_args+=(--config "min.insync.replicas=$DUO_TOPIC_MIN_INSYNC_REPLICAS")
  fi
  kafka kafka-topics.sh --create --if-not-exists --topic "$name" --partitions "${PARTITIONS[$name]}" \
    --replication-factor "${REPLICATION[$name]}" "${config_args[@]}"
  echo "topic $name (${PARTITIONS[$name]} partitions, replication factor ${REPLICATION[$name]})"
done

# Users: the admin (a super user, for operators) and one principal per service.
for user in admin "${SERVICES[@]}"; do
  kafka kafka-configs.sh --alter --entity-type users --entity-name "$user" \
    --add-config "$MECHANISM=[password=${PASSWORDS[$user]}]" >/dev/null
  echo "user $user ($MECHANISM)"
done

# Producers: write (and describe) their own topic, nothing else; no Create, no IdempotentWrite
# (the relays' producers are not idempotent, docs/adr/0002), no Cluster rights.
for producer in "${PRODUCERS[@]}"; do
  allow "$producer" --operation Write --operation Describe --topic "${TOPIC_OF[$producer]}"
  echo "acl $producer: Write, Describe ${TOPIC_OF[$producer]}"
done

# Consumers: read (and describe) the topics they consume, and read their own consumer group.
for consumer in "${SERVICES[@]}"; do
  [[ -n "${READS[$consumer]:-}" ]] || continue
  for topic in ${READS[$consumer]}; do
    allow "$consumer" --operation Read --operation Describe --topic "$topic"
  done
  allow "$consumer" --operation Read --group "$PREFIX$consumer"
  echo "acl $consumer: Read, Describe ${READS[$consumer]}; Read group $PREFIX$consumer"
done

echo "kafka-setup: done"

# The federation's reporting (docs/adr/0028): read the figures topic, nothing else; it reads without a group.
if [[ -n "${DUO_FEDERATION_KAFKA_PASSWORD:-}" ]]; then
  kafka kafka-configs.sh --alter --entity-type users --entity-name federation \
    --add-config "$MECHANISM=[password=$(password_of DUO_FEDERATION_KAFKA_PASSWORD)]" >/dev/null
  allow federation --operation Read --operation Describe --topic "${TOPIC_OF[reporting]}"
  echo "acl federation: Read, Describe ${TOPIC_OF[reporting]}"
fi
