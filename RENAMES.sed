s|#include "nicsim/sim/apps\.h"|#include "nicsim/apps/udp_stream.h"|g
s|#include "nicsim/sim/tcp_apps\.h"|#include "nicsim/apps/stats.h"\n#include "nicsim/apps/tcp_apps.h"\n#include "nicsim/sim/tcp_socket.h"|g
s/\bsim::UdpStreamConfig\b/apps::UdpStreamConfig/g
s/\bsim::UdpStream\b/apps::UdpStream/g
s/\bsim::TcpBulkConfig\b/apps::TcpBulkConfig/g
s/\bsim::TcpBulk\b/apps::TcpBulk/g
s/\bsim::TcpRpcConfig\b/apps::TcpRpcConfig/g
s/\bsim::TcpRpc\b/apps::TcpRpc/g
s/\bsim::fill_stream(/apps::fill_stream(/g
s/\bsim::percentile(/apps::percentile(/g
s|sim/include/nicsim/sim/apps\.h|apps/include/nicsim/apps/udp_stream.h|g
