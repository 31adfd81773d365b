# CL-5: browser sessions live in the database, so any host serves any
# request of a signed-in browser (no sticky sessions). Sourced by
# tests/cluster/run.sh while three hosts run behind nginx (uses lb, ports,
# work, fail, now_ms). Signs in through nginx with the token form (the
# viewer token), views the space page 30 times through nginx (round robin
# over the three hosts: every view must be signed in, none a redirect to
# /login), signs out through nginx, and then presents the same cookie to
# each host directly: every host must refuse it (a redirect to /login).
cl5_token=$(cat "$work/demo/viewer.token")
cl5_headers=$work/cl5-login.headers
cl5_code=$(curl -s -o /dev/null -D "$cl5_headers" -w '%{http_code}' \
  --data-urlencode "token=$cl5_token" --data-urlencode "next=/spaces/demo" "$lb/login")
[ "$cl5_code" = 303 ] || [ "$cl5_code" = 302 ] || fail "CL-5: signing in through nginx answered $cl5_code"
cl5_cookie=$(tr -d '\r' <"$cl5_headers" | sed -n 's/^[Ss]et-[Cc]ookie: \(vitrine_session=[0-9a-f]\{64\}\).*/\1/p' | head -1)
[ -n "$cl5_cookie" ] || fail "CL-5: signing in set no session cookie"

# The hosts write their log in batches (at most 200 ms apart): counts are
# taken half a second after the last request before them.
sleep 0.5
cl5_per_host=()
for i in 0 1 2; do cl5_per_host[$i]=$(grep -c '"path":"/spaces/demo"' "$work/host$i.log" || true); done
cl5_start=$(now_ms)
cl5_signed_in=0
cl5_csrf=""
for n in $(seq 1 30); do
  cl5_page=$work/cl5-view-$n.html
  cl5_c=$(curl -s -o "$cl5_page" -w '%{http_code}' -H "Cookie: $cl5_cookie" "$lb/spaces/demo")
  if [ "$cl5_c" = 200 ] && grep -q 'action="/logout"' "$cl5_page"; then
    cl5_signed_in=$((cl5_signed_in + 1))
    [ -n "$cl5_csrf" ] || cl5_csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$cl5_page" | head -1 | sed 's/.*value="\([0-9a-f]*\)"/\1/')
  else
    echo "cluster: CL-5 view $n answered $cl5_c" >&2
  fi
done
cl5_views_ms=$(($(now_ms) - cl5_start))
sleep 0.5
cl5_spread=""
for i in 0 1 2; do
  cl5_spread+="$(($(grep -c '"path":"/spaces/demo"' "$work/host$i.log" || true) - cl5_per_host[i])) "
done
echo "cluster: CL-5 30 signed-in views through nginx in ${cl5_views_ms} ms: $cl5_signed_in signed in; views per host: $cl5_spread" >&2
[ "$cl5_signed_in" = 30 ] || fail "CL-5: $cl5_signed_in of 30 views through nginx were signed in"
for i in 0 1 2; do
  [ "$(echo "$cl5_spread" | awk -v f=$((i + 1)) '{print $f}')" -gt 0 ] || fail "CL-5: host $i served none of the 30 views (views per host: $cl5_spread)"
done
[ -n "$cl5_csrf" ] || fail "CL-5: the signed-in page had no CSRF token"

cl5_code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cl5_cookie" --data "csrf=$cl5_csrf" "$lb/logout")
[ "$cl5_code" = 303 ] || [ "$cl5_code" = 302 ] || fail "CL-5: signing out through nginx answered $cl5_code"
cl5_refused=0
for i in 0 1 2; do
  cl5_location=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: $cl5_cookie" "http://127.0.0.1:${ports[$i]}/spaces/demo")
  case "$cl5_location" in
    30[23]\ */login*) cl5_refused=$((cl5_refused + 1)) ;;
    *) fail "CL-5: after signing out, host $i answered '$cl5_location' to the old cookie" ;;
  esac
done
echo "cluster: CL-5 after signing out through nginx the cookie is refused by $cl5_refused of 3 hosts" >&2
extra_rows+="| CL-5 signed in through nginx (token form), 30 views round robin over 3 hosts, signed out through nginx | $cl5_signed_in of 30 views signed in (${cl5_views_ms} ms; views per host: ${cl5_spread% }); the old cookie refused by $cl5_refused of 3 hosts after sign-out | all signed in, no sticky sessions; refused everywhere |"$'\n'
