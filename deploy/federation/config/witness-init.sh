#!/bin/sh
# One-shot: FR's witness key (created once, kept in the `witness` volume) and its config, which names the
# logs it cosigns by their vkeys (exported by the IE and DE inits). The nodes read /trust/witness.vkey.
set -eu
W=/srv/witness
NAME=witness.fr.comity.example
if [ ! -f "$W/witness.key" ]; then
  comity witness keygen --name "$NAME" --out "$W/witness.key" >/dev/null
fi
comity witness vkey --key "$W/witness.key" > /trust/witness.vkey
cat > "$W/witness.toml" <<TOML
name = "$NAME"
key_file = "witness.key"
state_file = "witness-state.json"
host = "0.0.0.0"
port = 7380

[[log]]
vkey = "$(cat /trust/ie.vkey)"

[[log]]
vkey = "$(cat /trust/de.vkey)"
TOML
echo "witness $NAME configured for IE and DE"
