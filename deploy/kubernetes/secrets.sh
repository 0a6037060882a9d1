#!/bin/sh
# Written by `python -m ops.render` from ops/topology.py: edit there (or in ops/kubernetes.py), then render.
# Makes Khadem's Secrets in the namespace with random values (openssl), once: it refuses to run when
# any of them exists, so it never changes a password a running user has. To change one value later:
#   kubectl -n khadem create secret generic NAME --from-literal=KEY=VALUE … \
#       --dry-run=client -o yaml | kubectl apply -f -
# then run the setup jobs again and restart the processes that read it (README.md, "Secrets").
set -eu
ns=${NAMESPACE:-khadem}
for name in khadem-registry khadem-reports khadem-finance khadem-oversight khadem-festival khadem-secretariat khadem-gateway khadem-web rabbitmq-admin rabbitmq-erlang-cookie mongo-admin mongo-keyfile astan-subscriber; do
    if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
        echo "secrets.sh: the Secret $name exists already; nothing made" >&2
        exit 1
    fi
done
# URL-safe (- and _): the passwords go into URIs.
password() { openssl rand -base64 36 | tr '+/' '-_'; }
JWT_SECRET=$(password)
# A Fernet key: 32 random bytes in URL-safe base64 (what `python -m kernel.personal new-key` prints).
DATA_KEYS=$(openssl rand -base64 32 | tr '+/' '-_')
PROXY_SECRET=$(password)
# The gateway's Ed25519 key that signs who is calling, raw and URL-safe base64 (what
# `python -m kernel.caller new-key` prints), and its public half for the services.
b64url() { base64 | tr '+/' '-_' | tr -d '=
'; }
caller_key=$(mktemp)
openssl genpkey -algorithm ed25519 -out "$caller_key"
CALLER_SIGNING_KEY=$(openssl pkey -in "$caller_key" -outform DER | tail -c 32 | b64url)
CALLER_VERIFY_KEYS=gateway:$(openssl pkey -in "$caller_key" -pubout -outform DER | tail -c 32 | b64url)
rm -f "$caller_key"
secret() {
    name=$1
    shift
    kubectl -n "$ns" create secret generic "$name" "$@" --dry-run=client -o yaml | kubectl apply -f -
}
secret khadem-registry --from-literal=AMQP_PASSWORD="$(password)" --from-literal=MONGO_PASSWORD="$(password)" --from-literal=JWT_SECRET="$JWT_SECRET" --from-literal=DATA_KEYS="$DATA_KEYS" --from-literal=CALLER_VERIFY_KEYS="$CALLER_VERIFY_KEYS"
secret khadem-reports --from-literal=AMQP_PASSWORD="$(password)" --from-literal=MONGO_PASSWORD="$(password)" --from-literal=JWT_SECRET="$JWT_SECRET" --from-literal=DATA_KEYS="$DATA_KEYS" --from-literal=CALLER_VERIFY_KEYS="$CALLER_VERIFY_KEYS"
secret khadem-finance --from-literal=AMQP_PASSWORD="$(password)" --from-literal=MONGO_PASSWORD="$(password)" --from-literal=JWT_SECRET="$JWT_SECRET" --from-literal=DATA_KEYS="$DATA_KEYS" --from-literal=CALLER_VERIFY_KEYS="$CALLER_VERIFY_KEYS"
secret khadem-oversight --from-literal=AMQP_PASSWORD="$(password)" --from-literal=MONGO_PASSWORD="$(password)" --from-literal=JWT_SECRET="$JWT_SECRET" --from-literal=DATA_KEYS="$DATA_KEYS" --from-literal=CALLER_VERIFY_KEYS="$CALLER_VERIFY_KEYS"
secret khadem-festival --from-literal=AMQP_PASSWORD="$(password)" --from-literal=MONGO_PASSWORD="$(password)" --from-literal=JWT_SECRET="$JWT_SECRET" --from-literal=DATA_KEYS="$DATA_KEYS" --from-literal=CALLER_VERIFY_KEYS="$CALLER_VERIFY_KEYS"
secret khadem-secretariat --from-literal=AMQP_PASSWORD="$(password)" --from-literal=MONGO_PASSWORD="$(password)" --from-literal=JWT_SECRET="$JWT_SECRET" --from-literal=DATA_KEYS="$DATA_KEYS" --from-literal=CALLER_VERIFY_KEYS="$CALLER_VERIFY_KEYS"
secret khadem-gateway --from-literal=AMQP_PASSWORD="$(password)" --from-literal=JWT_SECRET="$JWT_SECRET" --from-literal=DATA_KEYS="$DATA_KEYS" --from-literal=CALLER_VERIFY_KEYS="$CALLER_VERIFY_KEYS" --from-literal=PROXY_SECRET="$PROXY_SECRET" --from-literal=CALLER_SIGNING_KEY="$CALLER_SIGNING_KEY"
secret khadem-web --from-literal=PROXY_SECRET="$PROXY_SECRET"
secret rabbitmq-admin --from-literal=RABBITMQ_USER=khadem --from-literal=RABBITMQ_PASSWORD="$(password)"
secret rabbitmq-erlang-cookie --from-literal=cookie="$(openssl rand -hex 32)"
secret mongo-admin --from-literal=MONGO_ADMIN_USER=khadem_admin --from-literal=MONGO_ADMIN_PASSWORD="$(password)"
secret mongo-keyfile --from-literal=keyfile="$(openssl rand -base64 756 | tr -d '\n')"
secret astan-subscriber --from-literal=RABBITMQ_SUBSCRIBER_PASSWORD=
