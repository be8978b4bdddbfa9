/* udp-echo PORT REPLY: receives one UDP datagram on PORT, prints it as "UDP-IN=<bytes>" and answers its sender
 * with REPLY. The bundled busybox's nc has no UDP mode, so the network test's UDP host forwarder needs this. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: udp-echo PORT REPLY\n"); return 2; }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_ANY) };
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("udp-echo: bind"); return 1; }
  printf("UDP-LISTENING\n");
  fflush(stdout);
  char buf[2048];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
  if (n < 0) { perror("udp-echo: recvfrom"); return 1; }
  buf[n] = 0;
  printf("UDP-IN=%s from %s:%d\n", buf, inet_ntoa(from.sin_addr), ntohs(from.sin_port));
  fflush(stdout);
  if (sendto(s, argv[2], strlen(argv[2]), 0, (struct sockaddr *)&from, fl) < 0) { perror("udp-echo: sendto"); return 1; }
  return 0;
}
