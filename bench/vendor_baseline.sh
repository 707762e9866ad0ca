#!/usr/bin/env bash
# The vendor sample's approach (docs "Create an API Key"), scripted: one POST /api/2.0/keys per
# key, sequential, with curl, no state and no lookup of what already exists. Used by
# bench_apply as the baseline; running it twice creates every key twice.
# Usage: vendor_baseline.sh URL TOKEN COUNT OUTFILE
set -u
url=$1 token=$2 count=$3 out=$4
: > "$out"
chmod 600 "$out"
failed=0
for i in $(seq 1 "$count"); do
    name=$(printf 'Bench Key %02d' "$i")
    body=$(printf '{"name":"%s","permissions":["files:read"],"expiresInDays":30}' "$name")
    answer=$(curl -sS -X POST "$url/api/2.0/keys" \
        -H "Authorization: $token" -H 'Content-Type: application/json' \
        -d "$body" -w '\n%{http_code}') || { failed=$((failed + 1)); continue; }
    status=${answer##*$'\n'}
    if [ "$status" != 200 ]; then
        failed=$((failed + 1))
        continue
    fi
    # Keep the secret as the sample prints it; the file stays private to this run.
    secret=$(printf '%s' "${answer%$'\n'*}" | sed -n 's/.*"key":"\(sk-[0-9a-f]*\)".*/\1/p')
    printf 'BENCH_KEY_%02d_API_KEY=%s\n' "$i" "$secret" >> "$out"
done
echo "created $((count - failed)) of $count"
[ "$failed" -eq 0 ]
