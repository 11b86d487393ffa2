# Sourced by the benchmark scripts: nginx from Debian serving the files of one folder from the
# page cache with sendfile, on the same two cores as the server under test — what the machine
# itself allows for a response of a given size, with no engine at all.
#
#   start_nginx ROOT PORT     (stopped by stop_nginx, or by the caller's EXIT trap calling it)
nginx_dir=$(pwd)/target/bench-nginx
start_nginx() {
  local root=$1 port=$2
  [ -x /usr/sbin/nginx ] || ${sudo_cmd:-} apt-get install -y -qq nginx-light >/dev/null
  mkdir -p "$nginx_dir"
  cat >"$nginx_dir/nginx.conf" <<CONF
worker_processes 2;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  default_type application/json;
  server { listen 127.0.0.1:$port; root $root; }
}
CONF
  /usr/sbin/nginx -c "$nginx_dir/nginx.conf" -p "$nginx_dir" 2>/dev/null
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.05; done
}
stop_nginx() {
  [ -f "$nginx_dir/nginx.pid" ] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null || true
}
