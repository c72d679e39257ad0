// conn_hold: opens N keep-alive connections to a loopback HTTP server, sends
// one request on each and reads its answer, then holds them all open and
// idle until stdin closes (bench/memory.sh measures the server's RSS
// meanwhile). Prints "ready <open connections>" on stdout once all answered.
//
//   conn_hold --port P [--connections N] [--path /healthz]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  int port = 0, connections = 5000;
  std::string path = "/healthz";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--port") port = std::atoi(argv[i + 1]);
    else if (flag == "--connections") connections = std::atoi(argv[i + 1]);
    else if (flag == "--path") path = argv[i + 1];
  }
  if (port <= 0) {
    std::fprintf(stderr, "usage: conn_hold --port P [--connections N] [--path /healthz]\n");
    return 1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<int> fds;
  // In waves, so the listen backlog is never overrun.
  const int kWave = 200;
  for (int done = 0; done < connections; done += kWave) {
    std::vector<int> wave;
    for (int i = done; i < connections && i < done + kWave; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::fprintf(stderr, "conn_hold: connection %d: %s\n", i, std::strerror(errno));
        return 1;
      }
      if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        std::fprintf(stderr, "conn_hold: write failed\n");
        return 1;
      }
      wave.push_back(fd);
    }
    // Each answer: read until the header block has arrived (bodies are tiny).
    for (int fd : wave) {
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) {
          std::fprintf(stderr, "conn_hold: no answer\n");
          return 1;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
          std::fprintf(stderr, "conn_hold: connection closed early\n");
          return 1;
        }
        got.append(buf, static_cast<size_t>(n));
      }
      fds.push_back(fd);
    }
  }
  std::printf("ready %zu\n", fds.size());
  std::fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (int fd : fds) close(fd);
  return 0;
}
